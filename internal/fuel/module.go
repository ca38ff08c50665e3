package fuel

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
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
	exportGlobals   bool     // export the mutable globals (Options.ExportGlobals)
	mutableGlobals  []uint32 // the indices of the defined mutable globals

	lim       Limits
	fig       Figures
	budget    int64    // Options.MemoryBytes; 0 in Measure (no budget)
	tableMins []uint32 // imported then defined tables' initial sizes
	memMins   []uint32 // imported then defined memories' initial pages
}

// hasMemory reports whether the module has a linear memory.
func (m *module) hasMemory() bool { return len(m.memMins) > 0 }

// sectionBound maps the sections whose entry counts Limits bound to the
// limit: what they hold, its value and its field name.
func (m *module) sectionBound(id byte) (what string, limit int, field string) {
	switch id {
	case secType:
		return "types", m.lim.Types, "Types"
	case secImport:
		return "imports", m.lim.Imports, "Imports"
	case secGlobal:
		return "globals", m.lim.Globals, "Globals"
	case secExport:
		return "exports", m.lim.Exports, "Exports"
	case secTable:
		return "tables", m.lim.Tables, "Tables"
	case secElement:
		return "element segments", m.lim.ElementSegments, "ElementSegments"
	case secData:
		return "data segments", m.lim.DataSegments, "DataSegments"
	}
	return "", 0, ""
}

// numGlobals is the size of the original global index space, which is also
// the index of the fuel counter.
func (m *module) numGlobals() uint32 {
	return m.importedGlobals + m.definedGlobals
}

// parseModule splits wasm into sections, checks their order, decodes the
// import, function, global, export and start sections, and checks the
// framing of the others (see framing.go), and the limits of lim (see
// limits.go). A positive budget bounds the initial memory and tables in
// bytes.
func parseModule(wasm []byte, lim Limits, budget int64) (*module, error) {
	sections, err := splitSections(wasm)
	if err != nil {
		return nil, err
	}
	m := &module{sections: sections, lim: lim, budget: budget}
	// Sections are in order, so imports are parsed before globals and
	// globals before exports.
	for i := range m.sections {
		s := &m.sections[i]
		if what, limit, field := m.sectionBound(s.id); what != "" {
			// Checked before the entries are walked: the count is all a
			// runtime needs to allocate. A count the bytes cannot back is
			// left to the walk, which reports the module malformed.
			if n, _, err := readU32(s.payload); err == nil && uint64(n) <= uint64(len(s.payload)) {
				if err := bound(what, uint64(n), limit, field); err != nil {
					return nil, fmt.Errorf("%s section at offset %#x: %w", sectionNames[s.id], s.offset, err)
				}
			}
		}
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
			var mins []uint32
			mins, err = checkTables(s.payload)
			m.tableMins = append(m.tableMins, mins...)
		case secMemory:
			var mins []uint32
			mins, err = checkMemories(s.payload)
			m.memMins = append(m.memMins, mins...)
		case secTag:
			err = checkTags(s.payload)
		case secElement:
			err = checkElements(s.payload, m.numGlobals(), m.lim.ElementEntries, &m.fig.ElementEntries)
		case secDataCount:
			m.hasDataCount = true
			err = checkDataCount(s.payload)
		case secData:
			err = checkData(s.payload, m.numGlobals(), m.initialMemoryBytes())
		case secCustom:
			err = checkCustom(s.payload)
		}
		if err != nil {
			return nil, fmt.Errorf("%s section at offset %#x: %w", sectionNames[s.id], s.offset, err)
		}
		if s.id == secImport || s.id == secMemory || s.id == secTable {
			if err := m.checkMemoryAndTables(); err != nil {
				return nil, fmt.Errorf("%s section at offset %#x: %w", sectionNames[s.id], s.offset, err)
			}
		}
	}
	m.fig.Functions = int(m.importedFuncs) + int(m.definedFuncs)
	m.fig.Globals = int(m.numGlobals())
	m.fig.Exports = len(m.exportNames)
	m.fig.Tables = len(m.tableMins)
	for _, n := range m.tableMins {
		m.fig.TableElements = max(m.fig.TableElements, int(n))
	}
	if m.hasMemory() {
		m.fig.MemoryPages = int(m.memMins[0])
	}
	for _, s := range m.sections {
		if n, _, err := readU32(s.payload); err == nil {
			switch s.id {
			case secType:
				m.fig.Types = int(n)
			case secImport:
				m.fig.Imports = int(n)
			case secElement:
				m.fig.ElementSegments = int(n)
			case secData:
				m.fig.DataSegments = int(n)
			}
		}
	}
	return m, nil
}

// pageBytes is the size of a WebAssembly memory page.
const pageBytes = 65536

// initialMemoryBytes is the initial size of memory 0 in bytes (0 if the
// module has no memory yet).
func (m *module) initialMemoryBytes() uint64 {
	if !m.hasMemory() {
		return 0
	}
	return uint64(m.memMins[0]) * pageBytes
}

// checkMemoryAndTables checks the tables and memories declared so far
// against the limits and the memory budget: tables count as
// TableElementBytes an element.
func (m *module) checkMemoryAndTables() error {
	if err := bound("tables", uint64(len(m.tableMins)), m.lim.Tables, "Tables"); err != nil {
		return err
	}
	var elems uint64
	for i, n := range m.tableMins {
		if n > uint32(m.lim.TableElements) {
			return limitf("table %d: initial size %d exceeds the limit of %d elements (Limits.TableElements)", i, n, m.lim.TableElements)
		}
		elems += uint64(n)
	}
	if m.budget <= 0 {
		return nil
	}
	total := m.initialMemoryBytes() + elems*TableElementBytes
	if total > uint64(m.budget) {
		return limitf("the initial memory (%d bytes) and tables (%d elements of %d bytes) need %d bytes, over the memory budget of %d bytes (limits.memory_pages)",
			m.initialMemoryBytes(), elems, TableElementBytes, total, m.budget)
	}
	return nil
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
		lo, p, err := readLimits(b, p)
		m.tableMins = append(m.tableMins, lo)
		return p, err
	case kindMemory:
		lo, p, err := readLimits(b, p)
		m.memMins = append(m.memMins, lo)
		return p, err
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

// readLimits reads table or memory limits: a flags byte, the minimum and an
// optional maximum. Flags 0x02 and 0x03 mark shared memories. It returns
// the minimum.
func readLimits(b []byte, p int) (uint32, int, error) {
	if p >= len(b) {
		return 0, 0, malformedf("unexpected end of section reading limits")
	}
	flags := b[p]
	if flags > 3 {
		if flags <= 7 {
			return 0, 0, unsupportedf("64-bit memories or tables")
		}
		return 0, 0, malformedf("invalid limits flags %#x", flags)
	}
	lo, n, err := readU32(b[p+1:])
	if err != nil {
		return 0, 0, fmt.Errorf("limits minimum: %w", err)
	}
	p += 1 + n
	if flags&1 != 0 {
		if p, err = skipU32(b, p); err != nil {
			return 0, 0, fmt.Errorf("limits maximum: %w", err)
		}
	}
	return lo, p, nil
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
	if err := bound("functions (imported and defined)", uint64(m.importedFuncs)+uint64(count), m.lim.Functions, "Functions"); err != nil {
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
	if uint64(m.importedGlobals)+uint64(count)+addedGlobals > math.MaxUint32 {
		return malformedf("too many globals")
	}
	numGlobals := m.importedGlobals + count
	for i := uint32(0); i < count; i++ {
		if p, err = skipGlobalType(b, p); err == nil {
			if b[p-1] == 1 {
				m.mutableGlobals = append(m.mutableGlobals, m.importedGlobals+i)
			}
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

// addedGlobals is the number of globals Instrument appends: the fuel
// counter (index numGlobals), the scratch i32 of the bulk instructions
// (numGlobals+1) and the memory request (numGlobals+2). Guest code may name
// none of them.
const addedGlobals = 3

// appendGlobalSection appends the global section: the original entries (old
// is the original payload, or nil) followed by the fuel counter, a mutable
// i64 initialized to initial, and the two globals of bulk.go.
func (m *module) appendGlobalSection(dst, old []byte, initial int64) []byte {
	var payload []byte
	payload = appendU32(payload, m.definedGlobals+addedGlobals)
	if old != nil {
		_, n, _ := readU32(old) // validated by parseGlobals
		payload = append(payload, old[n:]...)
	}
	payload = append(payload, valTypeI64, 1, opI64Const)
	payload = appendS64(payload, initial)
	payload = append(payload, opEnd)
	// the scratch i32 and the memory request i64 of bulk.go
	payload = append(payload, valTypeI32, 1, opI32Const, 0, opEnd)
	payload = append(payload, valTypeI64, 1, opI64Const, 0, opEnd)
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
	extra := uint32(2)
	withStart := m.exportStart != "" && m.hasStart
	if withStart {
		extra++
	}
	var globals []uint32
	if m.exportGlobals {
		globals = m.mutableGlobals
	}
	var payload []byte
	payload = appendU32(payload, count+extra+uint32(len(globals)))
	if old != nil {
		payload = append(payload, old[n:]...)
	}
	for k, g := range globals {
		name := GlobalExportPrefix + strconv.Itoa(k)
		payload = appendU32(payload, uint32(len(name)))
		payload = append(payload, name...)
		payload = append(payload, kindGlobal)
		payload = appendU32(payload, g)
	}
	if withStart {
		payload = appendU32(payload, uint32(len(m.exportStart)))
		payload = append(payload, m.exportStart...)
		payload = append(payload, kindFunc)
		payload = appendU32(payload, m.startFunc)
	}
	payload = appendU32(payload, uint32(len(GlobalName)))
	payload = append(payload, GlobalName...)
	payload = append(payload, kindGlobal)
	payload = appendU32(payload, m.numGlobals())
	payload = appendU32(payload, uint32(len(MemoryRequestName)))
	payload = append(payload, MemoryRequestName...)
	payload = append(payload, kindGlobal)
	payload = appendU32(payload, m.numGlobals()+2)
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
	sc := bodyScanner{numGlobals: m.numGlobals(), model: model,
		maxDepth: m.lim.Depth, maxLabels: m.lim.BrTableLabels,
		maxNesting: int64(m.lim.NestingWork), maxModLabels: int64(m.lim.ModuleBrTableLabels)}
	g := m.numGlobals()
	bc := bulkCode{g: g, scratch: g + 1, request: g + 2, tables: uint32(len(m.tableMins)), memory: m.hasMemory(), budget: m.budget}
	if bc.budget <= 0 {
		bc.budget = DefaultMemoryBytes
	}
	locals := 0
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
		m.fig.BodyBytes = max(m.fig.BodyBytes, len(fn))
		if len(fn) > m.lim.BodyBytes {
			return nil, fmt.Errorf("function %d (index %d): %w", i, m.importedFuncs+i,
				limitf("body of %d bytes exceeds the limit of %d (Limits.BodyBytes)", len(fn), m.lim.BodyBytes))
		}
		code, n, err := skipLocals(fn, m.lim.FunctionLocals)
		if err == nil {
			locals += n
			m.fig.FunctionLocals = max(m.fig.FunctionLocals, n)
			m.fig.Locals = locals
			if locals > m.lim.Locals {
				err = limitf("more than %d locals in all functions (Limits.Locals)", m.lim.Locals)
			}
		}
		if err == nil {
			err = sc.scan(fn[code:], base+p-int(size)+code)
		}
		if err != nil {
			return nil, fmt.Errorf("function %d (index %d): %w", i, m.importedFuncs+i, err)
		}
		m.fig.BulkOps += len(sc.bulk)
		body = append(body[:0], fn[:code]...)
		body = sc.instrumentBody(body, fn[code:], g, &bc)
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
	m.fig.Depth, m.fig.BrTableLabels = sc.depth, sc.labels
	m.fig.NestingWork, m.fig.ModuleBrTableLabels = int(sc.nesting), int(sc.modLabels)
	if uint64(len(payload)) > math.MaxUint32 {
		return nil, unsupportedf("instrumented code section is too large")
	}
	return appendSection(dst, secCode, payload), nil
}
