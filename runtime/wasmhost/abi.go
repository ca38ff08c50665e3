package wasmhost

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// HostModule is the import module name of the Terrarium host functions.
const HostModule = "terrarium"

// Error codes returned to guests (docs/ABI.md).
const (
	ErrnoAbsent   = -1
	ErrnoNoDest   = -2
	ErrnoTooLarge = -3
	ErrnoStore    = -4
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
	var names []string
	for n := range requiredExports {
		names = append(names, n)
	}
	sort.Strings(names)
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
		if def, ok := exports[n]; ok && (!sameTypes(def.ParamTypes(), want.params) || !sameTypes(def.ResultTypes(), want.results)) {
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
		default:
			return fmt.Errorf("%w: import %s.%s is from a module other than %q and wasi_snapshot_preview1", ErrABI, mod, name, HostModule)
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

// read returns a view of guest memory or panics with an ABI violation.
func read(mod api.Module, fn string, ptr, n uint32) []byte {
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		violate("%s: range [%d, %d) is outside memory of %d bytes", fn, ptr, uint64(ptr)+uint64(n), mod.Memory().Size())
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

var hostFuncs = []hostFunc{
	{"send", []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		to, ptr, n := int32(s[0]), uint32(s[1]), uint32(s[2])
		if int(n) > in.maxMessage {
			s[0] = api.EncodeI32(ErrnoTooLarge)
			return
		}
		s[0] = api.EncodeI32(in.host.Send(to, read(mod, "send", ptr, n)))
	}},
	{"timer_set", []api.ValueType{i64}, []api.ValueType{i64}, func(ctx context.Context, _ api.Module, s []uint64) {
		d := int64(s[0])
		if d < 0 {
			d = 0
		}
		s[0] = uint64(inst(ctx).host.TimerSet(d))
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
		k := read(mod, "kv_get", uint32(s[0]), uint32(s[1]))
		vptr, vcap := uint32(s[2]), uint32(s[3])
		v, ok, err := inst(ctx).host.KVGet(k)
		switch {
		case err != nil:
			s[0] = api.EncodeI32(ErrnoStore)
		case !ok:
			s[0] = api.EncodeI32(ErrnoAbsent)
		default:
			if uint32(len(v)) <= vcap {
				copy(read(mod, "kv_get", vptr, uint32(len(v))), v)
			}
			s[0] = api.EncodeI32(int32(len(v)))
		}
	}},
	{"kv_put", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		k := read(mod, "kv_put", uint32(s[0]), uint32(s[1]))
		v := read(mod, "kv_put", uint32(s[2]), uint32(s[3]))
		s[0] = errno(inst(ctx).host.KVPut(k, v))
	}},
	{"kv_delete", []api.ValueType{i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		s[0] = errno(inst(ctx).host.KVDelete(read(mod, "kv_delete", uint32(s[0]), uint32(s[1]))))
	}},
	{"kv_scan", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, func(ctx context.Context, mod api.Module, s []uint64) {
		in := inst(ctx)
		p := read(mod, "kv_scan", uint32(s[0]), uint32(s[1]))
		bptr, bcap := uint32(s[2]), uint32(s[3])
		buf := in.scratch[:0]
		err := in.host.KVScan(p, func(k, v []byte) {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(k)))
			buf = append(buf, k...)
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(v)))
			buf = append(buf, v...)
		})
		in.scratch = buf[:0]
		if err != nil {
			s[0] = api.EncodeI32(ErrnoStore)
			return
		}
		if uint32(len(buf)) <= bcap {
			copy(read(mod, "kv_scan", bptr, uint32(len(buf))), buf)
		}
		s[0] = api.EncodeI32(int32(len(buf)))
	}},
	{"kv_sync", nil, []api.ValueType{i32}, func(ctx context.Context, _ api.Module, s []uint64) {
		s[0] = errno(inst(ctx).host.KVSync())
	}},
	{"log", []api.ValueType{i32, i32, i32}, nil, func(ctx context.Context, mod api.Module, s []uint64) {
		inst(ctx).host.Log(int32(s[0]), read(mod, "log", uint32(s[1]), uint32(s[2])))
	}},
	{"emit", []api.ValueType{i32, i32, i32, i32}, nil, func(ctx context.Context, mod api.Module, s []uint64) {
		k := read(mod, "emit", uint32(s[0]), uint32(s[1]))
		v := read(mod, "emit", uint32(s[2]), uint32(s[3]))
		inst(ctx).host.Emit(k, v)
	}},
}

func errno(err error) uint64 {
	if err != nil {
		return api.EncodeI32(ErrnoStore)
	}
	return 0
}
