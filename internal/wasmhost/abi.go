package wasmhost

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"
	"unsafe"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// HostModule is the import module name of the Terrarium host functions.
const HostModule = "terrarium"

// EnvModule is the import module of env.abort, the one function of
// AssemblyScript's default imports the host provides.
const EnvModule = "env"

// Error codes returned to guests (docs/ABI.md; defined in runtime/abi).
const (
	ErrnoAbsent   = abi.ErrnoAbsent
	ErrnoNoDest   = abi.ErrnoNoDest
	ErrnoTooLarge = abi.ErrnoTooLarge
	ErrnoStore    = abi.ErrnoStore
	ErrnoQuota    = abi.ErrnoQuota
)

type sig struct {
	params, results []api.ValueType
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// requiredExports are the guest exports every module must have.
var requiredExports = map[string]sig{
	"terrarium_abi_v1": {},
	"alloc":            {params: []api.ValueType{i32}, results: []api.ValueType{i32}},
	"on_init":          {params: []api.ValueType{i32, i32}},
	"on_message":       {params: []api.ValueType{i32, i32, i32}},
}

// optionalExports are checked for their signature when present.
var optionalExports = map[string]sig{
	"_initialize": {},
	"on_timer":    {params: []api.ValueType{i64}},
	"on_wake":     {},
	// on_envelope(from, ptr, len, src, dest, body, type, msg_id,
	// in_reply_to): on_message with the envelope already read by the host
	// (docs/ABI.md, "Envelopes read by the host").
	"on_envelope": {params: []api.ValueType{i32, i32, i32, i64, i64, i64, i64, i64, i64}},
}

// allowedWASI lists the wasi_snapshot_preview1 functions a guest may import:
// all of preview 1 but sockets.
var allowedWASI = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`args_get args_sizes_get environ_get environ_sizes_get clock_res_get
		clock_time_get fd_advise fd_allocate fd_close fd_datasync fd_fdstat_get fd_fdstat_set_flags
		fd_fdstat_set_rights fd_filestat_get fd_filestat_set_size fd_filestat_set_times fd_pread
		fd_prestat_get fd_prestat_dir_name fd_pwrite fd_read fd_readdir fd_renumber fd_seek fd_sync
		fd_tell fd_write path_create_directory path_filestat_get path_filestat_set_times path_link
		path_open path_readlink path_remove_directory path_rename path_symlink path_unlink_file
		poll_oneoff proc_exit proc_raise sched_yield random_get`) {
		allowedWASI[n] = true
	}
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func fmtSig(params, results []api.ValueType) string {
	name := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ", ")
	}
	return "(" + name(params) + ") -> (" + name(results) + ")"
}

// checkABI rejects a compiled module that lacks a required export, has one
// with the wrong signature, or imports anything outside the host module and
// the allowed WASI functions.
func checkABI(cm wazero.CompiledModule) error {
	exports := cm.ExportedFunctions()
	command := isCommand(exports)
	var names []string
	for n := range requiredExports {
		names = append(names, n)
	}
	sort.Strings(names)
	if command {
		if err := checkCommandExports(exports); err != nil {
			return err
		}
		names = nil
	}
	for _, n := range names {
		want := requiredExports[n]
		def, ok := exports[n]
		if !ok {
			return fmt.Errorf("%w: missing export %q", ErrABI, n)
		}
		if n != "terrarium_abi_v1" && (!sameTypes(def.ParamTypes(), want.params) || !sameTypes(def.ResultTypes(), want.results)) {
			return fmt.Errorf("%w: export %q has type %s, want %s", ErrABI, n,
				fmtSig(def.ParamTypes(), def.ResultTypes()), fmtSig(want.params, want.results))
		}
	}
	for n, want := range optionalExports {
		if def, ok := exports[n]; ok && !command && (!sameTypes(def.ParamTypes(), want.params) || !sameTypes(def.ResultTypes(), want.results)) {
			return fmt.Errorf("%w: export %q has type %s, want %s", ErrABI, n,
				fmtSig(def.ParamTypes(), def.ResultTypes()), fmtSig(want.params, want.results))
		}
	}
	if _, ok := cm.ExportedMemories()["memory"]; !ok {
		return fmt.Errorf("%w: missing export %q (a memory)", ErrABI, "memory")
	}
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch mod {
		case HostModule, EnvModule:
			if command {
				return fmt.Errorf("%w: import %s.%s: a command guest (it exports _start, not terrarium_abi_v1) may import only WASI (docs/ABI.md, \"Command guests\")", ErrABI, mod, name)
			}
		}
		switch mod {
		case HostModule:
			f, ok := hostFuncByName[name]
			if !ok {
				return fmt.Errorf("%w: import %s.%s is not a host function (known: %s)", ErrABI, mod, name, hostFuncNames())
			}
			if !sameTypes(def.ParamTypes(), f.params) || !sameTypes(def.ResultTypes(), f.results) {
				return fmt.Errorf("%w: import %s.%s has type %s, want %s", ErrABI, mod, name,
					fmtSig(def.ParamTypes(), def.ResultTypes()), fmtSig(f.params, f.results))
			}
		case "wasi_snapshot_preview1":
			if !allowedWASI[name] {
				return fmt.Errorf("%w: import %s.%s is not allowed", ErrABI, mod, name)
			}
		case EnvModule:
			want := []api.ValueType{i32, i32, i32, i32}
			if name != "abort" {
				return fmt.Errorf("%w: import %s.%s: of AssemblyScript's %q imports the host provides only abort (docs/ABI.md, \"AssemblyScript\")", ErrABI, mod, name, EnvModule)
			}
			if !sameTypes(def.ParamTypes(), want) || len(def.ResultTypes()) != 0 {
				return fmt.Errorf("%w: import %s.%s has type %s, want %s", ErrABI, mod, name,
					fmtSig(def.ParamTypes(), def.ResultTypes()), fmtSig(want, nil))
			}
		default:
			return fmt.Errorf("%w: import %s.%s is from a module other than %q, wasi_snapshot_preview1 and %q (abort only)", ErrABI, mod, name, HostModule, EnvModule)
		}
	}
	for _, def := range cm.ImportedMemories() {
		mod, name, _ := def.Import()
		return fmt.Errorf("%w: import %s.%s: a guest must export its memory, not import one", ErrABI, mod, name)
	}
	return nil
}

// abiViolation is the panic value raised by a host function when a guest
// breaks the ABI; the call fails and the node crashes with this reason.
type abiViolation struct{ msg string }

func (v abiViolation) Error() string { return "abi violation: " + v.msg }

func violate(format string, args ...any) {
	panic(abiViolation{msg: fmt.Sprintf(format, args...)})
}

// memSize returns the size of a guest memory in bytes. wazero's Size is a
// uint32 and reads 0 for a full 4 GiB memory (65,536 pages).
func memSize(m api.Memory) uint64 {
	if n := m.Size(); n != 0 {
		return uint64(n)
	}
	pages, _ := m.Grow(0)
	return uint64(pages) * 65536
}

// view returns n bytes of guest memory at ptr, or false if the range is
// outside it. Everything is computed in 64 bits; a range that ends exactly
// at 4 GiB is read without wazero's Read, whose uint32 end would wrap.
func view(m api.Memory, ptr uint32, n uint64) ([]byte, bool) {
	end := uint64(ptr) + n
	if end > memSize(m) {
		return nil, false
	}
	if end < 1<<32 || n == 0 {
		return m.Read(ptr, uint32(n))
	}
	head, ok := m.Read(ptr, uint32(n-1))
	if !ok {
		return nil, false
	}
	return unsafe.Slice(unsafe.SliceData(head), n), true
}

// read returns a view of guest memory or panics with an ABI violation. ptr
// and n are the guest's u32 values; their sum is computed in 64 bits.
func read(mod api.Module, fn string, ptr uint32, n uint64) []byte {
	b, ok := view(mod.Memory(), ptr, n)
	if !ok {
		violate("%s: range [%d, %d) is outside memory of %d bytes", fn, ptr, uint64(ptr)+n, memSize(mod.Memory()))
	}
	return b
}

type hostFunc struct {
	name            string
	params, results []api.ValueType
	fn              api.GoModuleFunc
}

var hostFuncByName = map[string]hostFunc{}

func hostFuncNames() string {
	var n []string
	for k := range hostFuncByName {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

func init() {
	for _, f := range hostFuncs {
		hostFuncByName[f.name] = f
	}
}

func inst(ctx context.Context) *Instance { return ctx.Value(instanceKey{}).(*Instance) }

// u32 reads a stack slot as the guest's unsigned i32.
func u32(v uint64) uint32 { return uint32(v) }

var hostFuncs = []hostFunc{
	{"send", []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		to, ptr, n := int32(s[0]), u32(s[1]), uint64(u32(s[2]))
		if n > uint64(in.maxMessage) {
			s[0] = api.EncodeI32(ErrnoTooLarge)
			return
		}
		s[0] = api.EncodeI32(in.send(to, read(mod, "send", ptr, n)))
	}},
	{"timer_set", []api.ValueType{i64}, []api.ValueType{i64}, func(ctx context.Context, _ api.Module, s []uint64) {
		in := inst(ctx)
		d := int64(s[0])
		if d < 0 {
			d = 0
		}
		in.timerSets++
		in.progress()
		if q := in.eng.cfg.quotas.PendingTimers; in.timerSets > q {
			abi.Stop(abi.Quota("pending_timers", "more than %d timer_set calls in one %s", q, in.where))
		}
		s[0] = uint64(in.host.TimerSet(d))
	}},
	{"timer_cancel", []api.ValueType{i64}, []api.ValueType{i32}, func(ctx context.Context, _ api.Module, s []uint64) {
		if inst(ctx).host.TimerCancel(int64(s[0])) {
			s[0] = 0
		} else {
			s[0] = api.EncodeI32(ErrnoAbsent)
		}
	}},
	{"now", nil, []api.ValueType{i64}, func(ctx context.Context, _ api.Module, s []uint64) {
		s[0] = uint64(inst(ctx).host.Now())
	}},
	{"rand", nil, []api.ValueType{i64}, func(ctx context.Context, _ api.Module, s []uint64) {
		s[0] = inst(ctx).host.Rand()
	}},
	{"kv_get", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		k := read(mod, "kv_get", u32(s[0]), uint64(u32(s[1])))
		vptr, vcap := u32(s[2]), uint64(u32(s[3]))
		v, ok, err := in.host.KVGet(k)
		switch {
		case err != nil:
			abi.Stop("store error: " + err.Error())
		case !ok:
			s[0] = api.EncodeI32(ErrnoAbsent)
		default:
			if uint64(len(v)) <= vcap {
				copy(read(mod, "kv_get", vptr, uint64(len(v))), v)
			}
			s[0] = api.EncodeI32(int32(len(v)))
		}
	}},
	{"kv_put", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		k := read(mod, "kv_put", u32(s[0]), uint64(u32(s[1])))
		v := read(mod, "kv_put", u32(s[2]), uint64(u32(s[3])))
		in.progress()
		switch err := in.host.KVPut(k, v); {
		case err == nil:
			s[0] = 0
		case errors.Is(err, abi.ErrTooLarge):
			s[0] = api.EncodeI32(ErrnoTooLarge)
		case errors.Is(err, abi.ErrQuota):
			s[0] = api.EncodeI32(ErrnoQuota)
		case errors.Is(err, abi.ErrBadKey):
			s[0] = api.EncodeI32(ErrnoStore)
		default:
			abi.Stop("store error: " + err.Error())
		}
	}},
	{"kv_delete", []api.ValueType{i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		in.progress()
		switch err := in.host.KVDelete(read(mod, "kv_delete", u32(s[0]), uint64(u32(s[1])))); {
		case err == nil:
			s[0] = 0
		case errors.Is(err, abi.ErrTooLarge):
			s[0] = api.EncodeI32(ErrnoTooLarge)
		case errors.Is(err, abi.ErrBadKey):
			s[0] = api.EncodeI32(ErrnoStore)
		default:
			abi.Stop("store error: " + err.Error())
		}
	}},
	{"kv_scan", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		p := read(mod, "kv_scan", u32(s[0]), uint64(u32(s[1])))
		bptr, bcap := u32(s[2]), uint64(u32(s[3]))
		buf := in.scratch[:0]
		err := in.host.KVScan(p, func(k, v []byte) {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(k)))
			buf = append(buf, k...)
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(v)))
			buf = append(buf, v...)
		})
		if cap(buf) <= 1<<20 { // keep a small scratch buffer, not a huge one
			in.scratch = buf[:0]
		} else {
			in.scratch = nil
		}
		if err != nil {
			abi.Stop("store error: " + err.Error())
		}
		if uint64(len(buf)) > 1<<31-1 {
			abi.Stop(fmt.Sprintf("kv_scan: %d bytes under the prefix do not fit an i32 result", len(buf)))
		}
		if uint64(len(buf)) <= bcap {
			copy(read(mod, "kv_scan", bptr, uint64(len(buf))), buf)
		}
		s[0] = api.EncodeI32(int32(len(buf)))
	}},
	{"kv_sync", nil, []api.ValueType{i32}, func(ctx context.Context, _ api.Module, s []uint64) {
		in := inst(ctx)
		in.progress()
		if err := in.host.KVSync(); err != nil {
			abi.Stop("store error: " + err.Error())
		}
		s[0] = 0
	}},
	{"node_name", []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		i, ptr, bcap := int32(s[0]), u32(s[1]), uint64(u32(s[2]))
		name, ok := in.host.EndpointName(i)
		if !ok {
			s[0] = api.EncodeI32(ErrnoAbsent)
			return
		}
		if uint64(len(name)) <= bcap {
			copy(read(mod, "node_name", ptr, uint64(len(name))), name)
		}
		s[0] = api.EncodeI32(int32(len(name)))
	}},
	{"node_index", []api.ValueType{i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		if i, ok := in.host.EndpointIndex(read(mod, "node_index", u32(s[0]), uint64(u32(s[1])))); ok {
			s[0] = api.EncodeI32(i)
		} else {
			s[0] = api.EncodeI32(ErrnoAbsent)
		}
	}},
	{"key", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		k, code := inst(ctx).host.Key(int32(s[0]), int32(s[1]))
		s[0] = api.EncodeI32(copyOut(mod, "key", k, code, u32(s[2]), uint64(u32(s[3]))))
	}},
	{"attack", []api.ValueType{i32, i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		op, a, b, ptr, n := int32(s[0]), int32(s[1]), int32(s[2]), u32(s[3]), uint64(u32(s[4]))
		if n > uint64(in.maxMessage) {
			s[0] = api.EncodeI32(ErrnoTooLarge)
			return
		}
		in.progress()
		s[0] = api.EncodeI32(in.host.Attack(op, a, b, read(mod, "attack", ptr, n)))
	}},
	{"recorded", []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		from, to, msg, code := inst(ctx).host.Recorded(int32(s[0]))
		var out []byte
		if code == 0 {
			out = binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(make([]byte, 0, 8+len(msg)), uint32(from)), uint32(to))
			out = append(out, msg...)
		}
		s[0] = api.EncodeI32(copyOut(mod, "recorded", out, code, u32(s[1]), uint64(u32(s[2]))))
	}},
	{"hmac_sha256", []api.ValueType{i32, i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		key := read(mod, "hmac_sha256", u32(s[0]), uint64(u32(s[1])))
		msg := read(mod, "hmac_sha256", u32(s[2]), uint64(u32(s[3])))
		inst(ctx).charge(cryptoFuel(fuelHMAC, len(key)+len(msg)))
		m := hmac.New(sha256.New, key)
		m.Write(msg)
		s[0] = api.EncodeI32(int32(copy(read(mod, "hmac_sha256", u32(s[4]), sha256.Size), m.Sum(nil))))
	}},
	{"ed25519_sign", []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		msg := read(mod, "ed25519_sign", u32(s[0]), uint64(u32(s[1])))
		seed, code := in.host.Key(abi.KeySecret, 0)
		if code < 0 {
			s[0] = api.EncodeI32(code)
			return
		}
		in.charge(cryptoFuel(fuelSign, len(msg)))
		sig := ed25519.Sign(ed25519.NewKeyFromSeed(seed), msg)
		s[0] = api.EncodeI32(int32(copy(read(mod, "ed25519_sign", u32(s[2]), ed25519.SignatureSize), sig)))
	}},
	{"ed25519_verify", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		pub := read(mod, "ed25519_verify", u32(s[0]), ed25519.PublicKeySize)
		msg := read(mod, "ed25519_verify", u32(s[1]), uint64(u32(s[2])))
		sig := read(mod, "ed25519_verify", u32(s[3]), ed25519.SignatureSize)
		inst(ctx).charge(cryptoFuel(fuelVerify, len(msg)))
		s[0] = 0
		if ed25519.Verify(pub, msg, sig) {
			s[0] = 1
		}
	}},
	{"log", []api.ValueType{i32, i32, i32}, nil, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		in.log(int32(s[0]), read(mod, "log", u32(s[1]), uint64(u32(s[2]))))
	}},
	{"emit", []api.ValueType{i32, i32, i32, i32}, nil, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		k := read(mod, "emit", u32(s[0]), uint64(u32(s[1])))
		v := read(mod, "emit", u32(s[2]), uint64(u32(s[3])))
		q := in.eng.cfg.quotas
		if len(k)+len(v) > q.LogLineBytes {
			abi.Stop(abi.Quota("log_line_bytes", "an emitted event of %d bytes (key %d, value %d) is over %d", len(k)+len(v), len(k), len(v), q.LogLineBytes))
		}
		in.chargeLog(len(k) + len(v))
		in.host.Emit(k, v)
	}},
}

// copyOut is the result of a host call that returns bytes: code if it is
// an error, else the length of b, which is copied to the guest at ptr
// when it fits in bcap (else the guest calls again with more room).
func copyOut(mod api.Module, fn string, b []byte, code int32, ptr uint32, bcap uint64) int32 {
	if code < 0 {
		return code
	}
	if uint64(len(b)) <= bcap {
		copy(read(mod, fn, ptr, uint64(len(b))), b)
	}
	return int32(len(b))
}

// send counts a send against the per-callback quotas and hands it to the
// host.
func (in *Instance) send(to int32, msg []byte) int32 {
	n := int64(len(msg))
	in.sends++
	in.sendBytes += n
	if q := in.eng.cfg.quotas.SendsPerCallback; in.sends > q {
		abi.Stop(abi.Quota("sends_per_callback", "more than %d sends in one %s", q, in.where))
	}
	if q := in.eng.cfg.quotas.SendBytesPerCallback; in.sendBytes > q {
		abi.Stop(abi.Quota("send_bytes_per_callback", "more than %d bytes sent in one %s", q, in.where))
	}
	in.earn(n)
	in.progress()
	return in.host.Send(to, msg)
}

// truncatedMarker ends a log line cut at the line cap.
const truncatedMarker = " ... [truncated %d bytes: limits.log_line_bytes]"

// log records a log line, truncated at the line cap with a marker.
func (in *Instance) log(level int32, line []byte) {
	q := in.eng.cfg.quotas
	if len(line) > q.LogLineBytes {
		cut := make([]byte, 0, q.LogLineBytes+64)
		cut = append(cut, line[:q.LogLineBytes]...)
		line = fmt.Appendf(cut, truncatedMarker, len(line)-q.LogLineBytes)
	}
	in.chargeLog(len(line))
	in.host.Log(level, line)
}

// chargeLog counts a record against the per-callback log quota.
func (in *Instance) chargeLog(n int) {
	in.progress()
	in.logBytes += int64(n) + abi.RecordOverhead
	if q := in.eng.cfg.quotas.LogBytesPerCallback; in.logBytes > q {
		abi.Stop(abi.Quota("log_bytes_per_callback", "more than %d log and emit bytes in one %s", q, in.where))
	}
}

// envAbort implements AssemblyScript's abort(message, fileName, line,
// column): the node crashes with the message and the position. Both strings
// are AssemblyScript strings: UTF-16LE data whose byte length is the u32
// just before it; 0 is null.
func envAbort(_ context.Context, mod api.Module, s []uint64) {
	msg := asString(mod, u32(s[0]))
	file := asString(mod, u32(s[1]))
	line, col := u32(s[2]), u32(s[3])
	if msg == "" {
		msg = "(no message)"
	}
	if file == "" {
		file = "(unknown file)"
	}
	abi.Stop(fmt.Sprintf("abort: %s at %s:%d:%d", msg, file, line, col))
}

// asString decodes the AssemblyScript string at ptr, at most 1024 UTF-16
// units of it; anything unreadable reads as "".
func asString(mod api.Module, ptr uint32) string {
	if ptr < 4 {
		return ""
	}
	hdr, ok := view(mod.Memory(), ptr-4, 4)
	if !ok {
		return ""
	}
	n := uint64(binary.LittleEndian.Uint32(hdr)) &^ 1
	cut := n > 2048
	n = min(n, 2048)
	b, ok := view(mod.Memory(), ptr, n)
	if !ok {
		return ""
	}
	units := make([]uint16, n/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	str := string(utf16.Decode(units))
	if cut {
		str += "..."
	}
	return str
}
