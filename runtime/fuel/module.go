package fuel

import (
	"bytes"
	"fmt"
	"math"
)

// Section IDs of the WebAssembly binary format.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// External kinds used by imports and exports.
const (
	kindFunc   = 0
	kindTable  = 1
	kindMemory = 2
	kindGlobal = 3
	kindTag    = 4
)

var (
	wasmMagic     = []byte{0x00, 'a', 's', 'm'}
	wasmVersion   = []byte{0x01, 0x00, 0x00, 0x00}
	componentVers = []byte{0x0d, 0x00, 0x01, 0x00}
)

// sectionRank gives the position in which each known non-custom section must
// appear; 0 marks unknown IDs. The tag section sits between memory and
// global, the data count section between element and code.
var sectionRank = [...]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5,
	secTag: 6, secGlobal: 7, secExport: 8, secStart: 9, secElement: 10,
	secDataCount: 11, secCode: 12, secData: 13,
}

var sectionNames = [...]string{
	secCustom: "custom", secType: "type", secImport: "import", secFunction: "function",
	secTable: "table", secMemory: "memory", secGlobal: "global", secExport: "export",
	secStart: "start", secElement: "element", secCode: "code", secData: "data",
	secDataCount: "data count", secTag: "tag",
}

// section is one section of the input binary.
type section struct {
	id      byte
	raw     []byte // the whole section: id, size and payload
	payload []byte
	offset  int // offset of the payload in the module, for error messages
}

// module is the result of parsing the parts of a binary the instrumentation
// depends on. Everything else is copied verbatim.
type module struct {
	sections        []section
	importedFuncs   uint32
	importedGlobals uint32
	definedFuncs    uint32
	definedGlobals  uint32
	hasStart        bool
	startFunc       uint32
	hasDataCount    bool
	keepData        bool
	exportStart     string   // if set, the start function becomes this export
	exportNames     []string // the original export names
}

// numGlobals is the size of the original global index space, which is also
// the index of the fuel counter.
func (m *module) numGlobals() uint32 {
	return m.importedGlobals + m.definedGlobals
}

// parseModule splits wasm into sections, checks their order, decodes the
// import, function, global, export and start sections, and checks the
// framing of the others (see framing.go).
func parseModule(wasm []byte) (*module, error) {
	sections, err := splitSections(wasm)
	if err != nil {
		return nil, err
	}
	m := &module{sections: sections}
	// Sections are in order, so imports are parsed before globals and
	// globals before exports.
	for i := range m.sections {
		s := &m.sections[i]
		var err error
		switch s.id {
		case secImport:
			err = m.parseImports(s.payload)
		case secFunction:
			err = m.parseFunctions(s.payload)
		case secGlobal:
			err = m.parseGlobals(s.payload)
		case secExport:
			// The section order guarantees the global count is known.
			err = m.checkExports(s.payload)
		case secStart:
			m.hasStart = true
			m.startFunc, err = parseStart(s.payload)
		case secType:
			err = checkTypes(s.payload)
		case secTable:
			err = checkTables(s.payload)
		case secMemory:
			err = checkMemories(s.payload)
		case secTag:
			err = checkTags(s.payload)
		case secElement:
			err = checkElements(s.payload, m.numGlobals())
		case secDataCount:
			m.hasDataCount = true
			err = checkDataCount(s.payload)
		case secData:
			err = checkData(s.payload, m.numGlobals())
		case secCustom:
			err = checkCustom(s.payload)
		}
		if err != nil {
			return nil, fmt.Errorf("%s section at offset %#x: %w", sectionNames[s.id], s.offset, err)
		}
	}
	return m, nil
}

// splitSections checks the header of wasm and splits the rest into
// sections, checking their order.
func splitSections(wasm []byte) ([]section, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], wasmMagic) {
		return nil, malformedf("not a WebAssembly binary (bad magic number)")
	}
	if bytes.Equal(wasm[4:8], componentVers) {
		return nil, unsupportedf("WebAssembly components")
	}
	if !bytes.Equal(wasm[4:8], wasmVersion) {
		return nil, malformedf("unknown binary version % x", wasm[4:8])
	}
	var sections []section
	lastRank := 0
	for p := 8; p < len(wasm); {
		start := p
		id := wasm[p]
		size, n, err := readU32(wasm[p+1:])
		if err != nil {
			return nil, fmt.Errorf("section at offset %#x: size: %w", start, err)
		}
		p += 1 + n
		if uint64(size) > uint64(len(wasm)-p) {
			return nil, fmt.Errorf("section at offset %#x: %w", start,
				malformedf("size %d exceeds the remaining %d bytes", size, len(wasm)-p))
		}
		if id != secCustom {
			if int(id) >= len(sectionRank) || sectionRank[id] == 0 {
				return nil, fmt.Errorf("section at offset %#x: %w", start, malformedf("unknown section id %d", id))
			}
			if sectionRank[id] <= lastRank {
				return nil, fmt.Errorf("section at offset %#x: %w", start,
					malformedf("%s section is out of order or duplicated", sectionNames[id]))
			}
			lastRank = sectionRank[id]
		}
		sections = append(sections, section{
			id:      id,
			raw:     wasm[start : p+int(size)],
			payload: wasm[p : p+int(size)],
			offset:  p,
		})
		p += int(size)
	}
	return sections, nil
}

// readName skips a length-prefixed name and returns it.
func readName(b []byte, p int) ([]byte, int, error) {
	size, n, err := readU32(b[p:])
	if err != nil {
		return nil, 0, fmt.Errorf("name length: %w", err)
	}
	p += n
	if uint64(size) > uint64(len(b)-p) {
		return nil, 0, malformedf("name length %d exceeds the section", size)
	}
	return b[p : p+int(size)], p + int(size), nil
}

func trailing(b []byte, p int) error {
	if p != len(b) {
		return malformedf("%d unexpected bytes at the end of the section", len(b)-p)
	}
	return nil
}

func (m *module) parseImports(b []byte) error {
	count, p, err := readCount(b, 0, 4, "import")
	if err != nil {
		return err
	}
	for i := uint32(0); i < count; i++ {
		if p, err = m.parseImport(b, p); err != nil {
			return fmt.Errorf("import %d: %w", i, err)
		}
	}
	return trailing(b, p)
}

func (m *module) parseImport(b []byte, p int) (int, error) {
	_, p, err := readName(b, p)
	if err != nil {
		return 0, err
	}
	if _, p, err = readName(b, p); err != nil {
		return 0, err
	}
	if p >= len(b) {
		return 0, malformedf("unexpected end of section reading the import kind")
	}
	kind := b[p]
	p++
	switch kind {
	case kindFunc:
		m.importedFuncs++
		if m.importedFuncs == 0 {
			return 0, malformedf("too many imported functions")
		}
		return skipU32(b, p)
	case kindTable:
		if p >= len(b) {
			return 0, malformedf("unexpected end of section reading a table type")
		}
		switch b[p] {
		case 0x70, 0x6f, 0x69, 0x63, 0x64:
			if p, err = skipValType(b, p); err != nil {
				return 0, err
			}
		default:
			return 0, malformedf("invalid table element type %#x", b[p])
		}
		return skipLimits(b, p)
	case kindMemory:
		return skipLimits(b, p)
	case kindGlobal:
		m.importedGlobals++
		if m.importedGlobals == 0 {
			return 0, malformedf("too many imported globals")
		}
		return skipGlobalType(b, p)
	case kindTag:
		if p >= len(b) || b[p] != 0 {
			return 0, malformedf("invalid tag attribute")
		}
		return skipU32(b, p+1)
	}
	return 0, malformedf("invalid import kind %#x", kind)
}

// skipLimits skips table or memory limits: a flags byte, the minimum and an
// optional maximum. Flags 0x02 and 0x03 mark shared memories.
func skipLimits(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, malformedf("unexpected end of section reading limits")
	}
	flags := b[p]
	if flags > 3 {
		if flags <= 7 {
			return 0, unsupportedf("64-bit memories or tables")
		}
		return 0, malformedf("invalid limits flags %#x", flags)
	}
	p, err := skipU32(b, p+1)
	if err != nil {
		return 0, fmt.Errorf("limits minimum: %w", err)
	}
	if flags&1 != 0 {
		if p, err = skipU32(b, p); err != nil {
			return 0, fmt.Errorf("limits maximum: %w", err)
		}
	}
	return p, nil
}

func skipGlobalType(b []byte, p int) (int, error) {
	p, err := skipValType(b, p)
	if err != nil {
		return 0, err
	}
	if p >= len(b) {
		return 0, malformedf("unexpected end of section reading global mutability")
	}
	if b[p] > 1 {
		return 0, malformedf("invalid global mutability %#x", b[p])
	}
	return p + 1, nil
}

func (m *module) parseFunctions(b []byte) error {
	count, p, err := readCount(b, 0, 1, "function")
	if err != nil {
		return err
	}
	for i := uint32(0); i < count; i++ {
		if p, err = skipU32(b, p); err != nil {
			return fmt.Errorf("function %d type: %w", i, err)
		}
	}
	if err := trailing(b, p); err != nil {
		return err
	}
	if uint64(m.importedFuncs)+uint64(count) > math.MaxUint32 {
		return malformedf("too many functions")
	}
	m.definedFuncs = count
	return nil
}

func (m *module) parseGlobals(b []byte) error {
	count, p, err := readCount(b, 0, 3, "global")
	if err != nil {
		return err
	}
	if uint64(m.importedGlobals)+uint64(count) >= math.MaxUint32 {
		return malformedf("too many globals")
	}
	numGlobals := m.importedGlobals + count
	for i := uint32(0); i < count; i++ {
		if p, err = skipGlobalType(b, p); err == nil {
			p, err = skipConstExpr(b, p, numGlobals)
		}
		if err != nil {
			return fmt.Errorf("global %d: %w", i, err)
		}
	}
	if err := trailing(b, p); err != nil {
		return err
	}
	m.definedGlobals = count
	return nil
}

// checkExports validates the export section and rejects exports that would
// clash with the fuel counter's export or name its reserved index.
func (m *module) checkExports(b []byte) error {
	count, p, err := readCount(b, 0, 3, "export")
	if err != nil {
		return err
	}
	for i := uint32(0); i < count; i++ {
		var name []byte
		if name, p, err = readName(b, p); err != nil {
			return fmt.Errorf("export %d: %w", i, err)
		}
		if string(name) == GlobalName {
			return fmt.Errorf("export %d: %w", i,
				malformedf("the module already exports %q (already instrumented?)", GlobalName))
		}
		m.exportNames = append(m.exportNames, string(name))
		if p >= len(b) {
			return fmt.Errorf("export %d: %w", i, malformedf("unexpected end of section reading the export kind"))
		}
		kind := b[p]
		if kind > kindTag {
			return fmt.Errorf("export %d: %w", i, malformedf("invalid export kind %#x", kind))
		}
		idx, n, err := readU32(b[p+1:])
		if err != nil {
			return fmt.Errorf("export %d index: %w", i, err)
		}
		p += 1 + n
		if kind == kindGlobal && idx >= m.numGlobals() {
			return fmt.Errorf("export %d: %w", i,
				malformedf("global index %d out of range (the module has %d globals)", idx, m.numGlobals()))
		}
	}
	return trailing(b, p)
}

func parseStart(b []byte) (uint32, error) {
	idx, p, err := readU32(b)
	if err != nil {
		return 0, fmt.Errorf("start function index: %w", err)
	}
	return idx, trailing(b, p)
}

// appendSection appends a section with the given id and payload.
func appendSection(dst []byte, id byte, payload []byte) []byte {
	dst = append(dst, id)
	dst = appendU32(dst, uint32(len(payload)))
	return append(dst, payload...)
}

// rewrite produces the instrumented binary. The fuel counter is added as
// the last global with the given initial value and exported as GlobalName;
// the code section is rewritten; every other section is copied verbatim.
func (m *module) rewrite(sizeHint int, initial int64, model CostModel) ([]byte, error) {
	out := make([]byte, 0, sizeHint+sizeHint/4+64)
	out = append(out, wasmMagic...)
	out = append(out, wasmVersion...)
	globalDone, exportDone, codeDone := false, false, false
	for _, s := range m.sections {
		if s.id != secCustom {
			// Insert missing global and export sections in their place.
			if r := sectionRank[s.id]; !globalDone && r > sectionRank[secGlobal] {
				out = m.appendGlobalSection(out, nil, initial)
				globalDone = true
			}
			if r := sectionRank[s.id]; !exportDone && r > sectionRank[secExport] {
				out = m.appendExportSection(out, nil)
				exportDone = true
			}
		}
		switch s.id {
		case secStart:
			if m.exportStart == "" {
				out = append(out, s.raw...)
			} // else: the start function is exported instead
		case secGlobal:
			out = m.appendGlobalSection(out, s.payload, initial)
			globalDone = true
		case secExport:
			out = m.appendExportSection(out, s.payload)
			exportDone = true
		case secData:
			if merged, ok := mergeData(s.payload); ok && !m.hasDataCount && !m.keepData {
				out = appendSection(out, secData, merged)
			} else {
				out = append(out, s.raw...)
			}
		case secCode:
			var err error
			if out, err = m.appendCodeSection(out, s.payload, s.offset, model); err != nil {
				return nil, fmt.Errorf("code section at offset %#x: %w", s.offset, err)
			}
			codeDone = true
		default:
			out = append(out, s.raw...)
		}
	}
	if !globalDone {
		out = m.appendGlobalSection(out, nil, initial)
	}
	if !exportDone {
		out = m.appendExportSection(out, nil)
	}
	if !codeDone && m.definedFuncs != 0 {
		return nil, malformedf("function section declares %d functions but there is no code section", m.definedFuncs)
	}
	return out, nil
}

// appendGlobalSection appends the global section: the original entries (old
// is the original payload, or nil) followed by the fuel counter, a mutable
// i64 initialized to initial.
func (m *module) appendGlobalSection(dst, old []byte, initial int64) []byte {
	var payload []byte
	payload = appendU32(payload, m.definedGlobals+1)
	if old != nil {
		_, n, _ := readU32(old) // validated by parseGlobals
		payload = append(payload, old[n:]...)
	}
	payload = append(payload, valTypeI64, 1, opI64Const)
	payload = appendS64(payload, initial)
	payload = append(payload, opEnd)
	return appendSection(dst, secGlobal, payload)
}

// appendExportSection appends the export section: the original entries (old
// is the original payload, or nil) followed by the export of the fuel
// counter.
func (m *module) appendExportSection(dst, old []byte) []byte {
	count := uint32(0)
	n := 0
	if old != nil {
		count, n, _ = readU32(old) // validated by checkExports
	}
	extra := uint32(1)
	if m.exportStart != "" && m.hasStart {
		extra++
	}
	var payload []byte
	payload = appendU32(payload, count+extra)
	if old != nil {
		payload = append(payload, old[n:]...)
	}
	if extra == 2 {
		payload = appendU32(payload, uint32(len(m.exportStart)))
		payload = append(payload, m.exportStart...)
		payload = append(payload, kindFunc)
		payload = appendU32(payload, m.startFunc)
	}
	payload = appendU32(payload, uint32(len(GlobalName)))
	payload = append(payload, GlobalName...)
	payload = append(payload, kindGlobal)
	payload = appendU32(payload, m.numGlobals())
	return appendSection(dst, secExport, payload)
}

// appendCodeSection appends the code section with every function body
// instrumented. b is the original payload, at offset base in the module.
func (m *module) appendCodeSection(dst, b []byte, base int, model CostModel) ([]byte, error) {
	count, p, err := readCount(b, 0, 1, "function body")
	if err != nil {
		return nil, err
	}
	if count != m.definedFuncs {
		return nil, malformedf("%d function bodies for %d declared functions", count, m.definedFuncs)
	}
	sc := bodyScanner{numGlobals: m.numGlobals(), model: model}
	g := m.numGlobals()
	payload := make([]byte, 0, len(b)+len(b)/4+16)
	payload = appendU32(payload, count)
	var body []byte
	for i := uint32(0); i < count; i++ {
		size, n, err := readU32(b[p:])
		if err != nil {
			return nil, fmt.Errorf("function %d (index %d): body size: %w", i, m.importedFuncs+i, err)
		}
		p += n
		if uint64(size) > uint64(len(b)-p) {
			return nil, fmt.Errorf("function %d (index %d): %w", i, m.importedFuncs+i,
				malformedf("body size %d exceeds the section", size))
		}
		fn := b[p : p+int(size)]
		p += int(size)
		locals, err := skipLocals(fn)
		if err == nil {
			err = sc.scan(fn[locals:], base+p-int(size)+locals)
		}
		if err != nil {
			return nil, fmt.Errorf("function %d (index %d): %w", i, m.importedFuncs+i, err)
		}
		body = append(body[:0], fn[:locals]...)
		body = sc.instrumentBody(body, fn[locals:], g)
		if uint64(len(body)) > math.MaxUint32 {
			return nil, fmt.Errorf("function %d (index %d): %w", i, m.importedFuncs+i,
				unsupportedf("instrumented body is too large"))
		}
		payload = appendU32(payload, uint32(len(body)))
		payload = append(payload, body...)
	}
	if err := trailing(b, p); err != nil {
		return nil, err
	}
	if uint64(len(payload)) > math.MaxUint32 {
		return nil, unsupportedf("instrumented code section is too large")
	}
	return appendSection(dst, secCode, payload), nil
}
