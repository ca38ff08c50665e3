package wasmhost

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	esys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"

	"github.com/terrarium-sim/terrarium/internal/fuel"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/abi/jsonscan"
)

type instanceKey struct{}

// Instance is one node's running guest.
type Instance struct {
	mod        *Module
	eng        *Engine
	host       abi.Host
	clock      abi.Clock
	api        api.Module
	ctx        context.Context
	cancel     context.CancelFunc
	alloc      api.Function
	onInit     api.Function
	onMessage  api.Function
	onTimer    api.Function
	onWake     api.Function
	onEnvelope api.Function // nil unless the module exports on_envelope
	init       api.Function
	fuelG      api.MutableGlobal
	memReq     api.Global // fuel.MemoryRequestName: set by table.grow
	// globals are the module's own mutable globals, exported by the
	// rewriter (fuel.Options.ExportGlobals), in index order.
	globals    []api.MutableGlobal
	stack      [9]uint64
	scratch    []byte
	maxMessage int
	closed     bool

	// the callback in progress: its name, its fuel (base, bytes delivered,
	// bytes sent so far: each earns fuelPerByte), and what it has done so
	// far against the per-callback quotas
	where     string
	fuelBase  int64
	delivered int
	// the fuel meter: fuelTotal is the callback's budget so far (base and
	// per-byte earnings), fuelUsed what it used before the last refill of
	// the fuel global, fuelSet what that refill put there, and spinCut
	// whether the spin window (Config.WithSpinFuel) cut the refill short
	fuelTotal int64
	fuelUsed  int64
	fuelSet   int64
	spinCut   bool
	maxFuel   int64  // the most fuel one callback used
	maxWhere  string // which callback that was
	maxSpin   int64  // the most fuel used between two progress calls
	sends     int
	sendBytes int64
	timerSets int
	logBytes  int64

	cmd      *command // set for a command guest (command.go)
	files    *memFS   // the guest's file system
	inbox    *inboxFile
	idle     bool  // an idle point was reached during the current call
	nextWake int64 // relative timeout at the last idle point; -1: none
	// strayPolls counts the clock-only polls of the current call that
	// looked like going idle with no read of /inbox pending (pollOneoff)
	strayPolls int

	notes exitNotes // what the guest wrote to stderr in this callback
}

// Instantiate creates a guest instance for one node. Nothing runs yet: call
// Init next.
func (e *Engine) Instantiate(ctx context.Context, m *Module, host abi.Host, clock abi.Clock, random func(p []byte)) (*Instance, error) {
	in := &Instance{mod: m, eng: e, host: host, clock: clock, maxMessage: e.cfg.maxMessage, inbox: &inboxFile{}, nextWake: -1}
	cctx, cancel := context.WithCancel(context.WithValue(ctx, instanceKey{}, in))
	in.ctx, in.cancel = cctx, cancel
	files := newMemFS(e.cfg.quotas.FSBytes, clock.Walltime, map[string]esys.File{"inbox": in.inbox})
	in.files = files
	fsc := wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(files, "/")
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithStdout(&logWriter{in: in, level: abi.LevelStdout}).
		WithStderr(&logWriter{in: in, level: abi.LevelStderr}).
		WithFSConfig(fsc).
		WithWalltime(func() (int64, int32) {
			w := clock.Walltime()
			return w / 1e9, int32(w % 1e9)
		}, 1).
		WithNanotime(clock.Nanotime, 1).
		WithNanosleep(func(int64) {}).
		WithOsyield(func() {}).
		WithRandSource(readerFunc(random))
	for _, kv := range e.cfg.env {
		cfg = cfg.WithEnv(kv.key, kv.value)
	}
	if m.command {
		in.cmd = newCommand(in)
		cfg = in.cmd.config(cfg, m.name)
	}
	var alloc experimental.MemoryAllocator = memoryAllocator()
	if m.image != nil {
		alloc = m.image
	}
	mod, err := e.rt.InstantiateModule(experimental.WithMemoryAllocator(cctx, alloc), m.compiled, cfg)
	if err != nil {
		cancel()
		return nil, in.crash(err)
	}
	in.api = mod
	if in.cmd != nil {
		in.cmd.start = mod.ExportedFunction("_start")
	}
	in.alloc = mod.ExportedFunction("alloc")
	in.onInit = mod.ExportedFunction("on_init")
	in.onMessage = mod.ExportedFunction("on_message")
	if m.hasTimer {
		in.onTimer = mod.ExportedFunction("on_timer")
	}
	if m.hasWake {
		in.onWake = mod.ExportedFunction("on_wake")
	}
	if m.hasEnvelope {
		in.onEnvelope = mod.ExportedFunction("on_envelope")
	}
	if m.hasInit {
		in.init = mod.ExportedFunction("_initialize")
	}
	if m.fueled {
		g, ok := mod.ExportedGlobal(fuel.GlobalName).(api.MutableGlobal)
		if !ok {
			in.Close()
			return nil, fmt.Errorf("wasmhost: module %s: fuel global missing after instrumentation", m.name)
		}
		in.fuelG = g
		in.memReq = mod.ExportedGlobal(fuel.MemoryRequestName)
		in.globals = exportedGlobals(mod)
	}
	if m.hasStart {
		if err := in.begin("start", e.cfg.initFuel, 0); err != nil {
			return nil, err
		}
		if err := in.call(mod.ExportedFunction(startExport), 0); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// Close frees the instance. It is safe to call more than once.
func (in *Instance) Close() {
	if in.closed {
		return
	}
	in.closed = true
	if in.cmd != nil {
		in.cmd.close()
	}
	if in.api != nil {
		_ = in.api.Close(context.Background())
	}
	in.cancel()
}

// Closed reports whether the instance was closed (by Close or a crash).
func (in *Instance) Closed() bool { return in.closed }

// Abort stops a running call from another goroutine (the watchdog); the call
// returns a CrashError.
func (in *Instance) Abort() { in.cancel() }

// Idle reports whether the last call reached an idle point and, if so, the
// delay after which the guest wants on_wake (-1: no timer pending).
func (in *Instance) Idle() (reached bool, wakeAfter int64) { return in.idle, in.nextWake }

// HasWake reports whether the guest exports on_wake.
func (in *Instance) HasWake() bool { return in.onWake != nil || in.cmd != nil }

// MemoryPages returns the guest's current linear memory size in pages.
func (in *Instance) MemoryPages() uint32 {
	if in.api == nil || in.api.Memory() == nil {
		return 0
	}
	return in.api.Memory().Size() / 65536
}

// begin prepares a callback: where names it in crash reasons; its fuel is
// base plus the configured fuel per byte for each of the bytes delivered
// (and, as the callback runs, for each byte it sends).
func (in *Instance) begin(where string, base int64, bytes int) error {
	if in.closed {
		return &abi.CrashError{Reason: "instance is closed"}
	}
	in.idle, in.strayPolls = false, 0
	in.notes.reset()
	in.where, in.fuelBase, in.delivered = where, base, bytes
	in.sends, in.sendBytes, in.timerSets, in.logBytes = 0, 0, 0, 0
	in.fuelTotal = satAdd(base, satMul(in.eng.cfg.fuelPerByte, int64(bytes)))
	in.fuelUsed = 0
	in.refill()
	return nil
}

// earn adds the fuel that n bytes sent earn to the running callback's
// budget; the next progress call refills the fuel global with it.
func (in *Instance) earn(n int64) {
	in.fuelTotal = satAdd(in.fuelTotal, satMul(in.eng.cfg.fuelPerByte, n))
}

// The fuel the crypto host calls charge: a fixed cost per call and one per
// byte, so that the host's work for a guest is bounded by the guest's
// budget like the guest's own (Go's crypto in the guest costs more).
const (
	fuelHMAC        = 5_000
	fuelSign        = 500_000
	fuelVerify      = 1_000_000
	fuelCryptoBytes = 50
)

func cryptoFuel(base int64, bytes int) int64 {
	return satAdd(base, satMul(fuelCryptoBytes, int64(bytes)))
}

// charge takes n units of fuel from the running callback for work the host
// does on its behalf; past its budget (or its spin window) the call ends
// there, as when the guest's own code runs out (crash names the budget).
func (in *Instance) charge(n int64) {
	if in.fuelG == nil {
		return
	}
	left := int64(in.fuelG.Get()) - n
	in.fuelG.Set(uint64(left))
	if left < 0 {
		abi.Stop("cpu budget exhausted by a host call")
	}
}

// used is the fuel the running callback has used so far.
func (in *Instance) used() int64 {
	return in.fuelUsed + in.fuelSet - int64(in.fuelG.Get())
}

// refill sets the fuel global to what the callback may still use: the rest
// of its budget, or less, the spin window, if one is set.
func (in *Instance) refill() {
	if in.fuelG == nil {
		return
	}
	avail := max(in.fuelTotal-in.fuelUsed, 0)
	in.fuelSet, in.spinCut = avail, false
	if w := in.eng.cfg.spinFuel; w > 0 && w < avail {
		in.fuelSet, in.spinCut = w, true
	}
	in.fuelG.Set(uint64(in.fuelSet))
}

// progress marks a host call by which the guest makes progress (a send, a
// timer, a store write, a log line, an idle point): the spin window starts
// again from here.
func (in *Instance) progress() {
	if in.fuelG == nil {
		return
	}
	in.noteStretch()
	in.fuelUsed = in.used()
	in.refill()
}

// noteStretch records the fuel used since the last refill in the spin
// high-water mark.
func (in *Instance) noteStretch() {
	if d := in.fuelSet - int64(in.fuelG.Get()); d > in.maxSpin && !in.booting() {
		in.maxSpin = d
	}
}

// booting reports whether the running callback is part of the boot, which
// has its own budget.
func (in *Instance) booting() bool {
	switch in.where {
	case "start", "_initialize", "on_init", "boot":
		return true
	}
	return false
}

// noteFuel records the running callback's fuel in the high-water mark.
func (in *Instance) noteFuel() {
	if in.fuelG == nil {
		return
	}
	if in.booting() {
		return // the boot runs on its own budget
	}
	in.noteStretch()
	if u := in.used(); u > in.maxFuel {
		in.maxFuel, in.maxWhere = u, in.where
	}
}

// FuelHighWater returns the most fuel one callback of this instance has
// used so far, boot aside (it has its own budget), and which callback it
// was (on_message, on_wake, ...): what limits.fuel must leave room for;
// and the most it used between two progress calls (a send, a timer, a
// store write, a log line, an idle point): what limits.spin_fuel must
// leave room for. Both are 0 when metering is off.
func (in *Instance) FuelHighWater() (callback, stretch int64, where string) {
	return in.maxFuel, in.maxSpin, in.maxWhere
}

// budget describes the running callback's fuel for a crash reason.
func (in *Instance) budget() string {
	per := in.eng.cfg.fuelPerByte
	if per == 0 || in.delivered == 0 && in.sendBytes == 0 {
		return fmt.Sprintf("%d units of limits.fuel", in.fuelBase)
	}
	total := satAdd(in.fuelBase, satMul(per, int64(in.delivered)+in.sendBytes))
	return fmt.Sprintf("%d units: limits.fuel %d + limits.fuel_per_byte %d x (%d bytes delivered + %d sent)",
		total, in.fuelBase, per, in.delivered, in.sendBytes)
}

// satMul multiplies two non-negative int64s, saturating at the maximum.
func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// satAdd adds two non-negative int64s, saturating at the maximum.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func (in *Instance) call(f api.Function, n int) error {
	if in.eng.stopDog != nil {
		in.eng.callSeq.Add(1)
		in.eng.running.Store(in)
		defer in.eng.running.Store(nil)
	}
	err := f.CallWithStack(in.ctx, in.stack[:max(n, 1)])
	if err != nil {
		return in.crash(err)
	}
	in.noteFuel()
	return nil
}

// crash classifies a failed call, closes the instance and returns a CrashError.
func (in *Instance) crash(err error) error {
	reason := ""
	var exit *sys.ExitError
	var v abiViolation
	stopReason, stopped := abi.StopReason(err)
	byStop := false // the reason is a Stop's
	switch {
	case in.memReq != nil && int64(in.memReq.Get()) > in.eng.cfg.memoryBytes():
		// The instrumented table.grow stores what the node would hold and
		// traps when that is over the budget (internal/fuel/bulk.go).
		reason = abi.Quota("memory_pages", "table.grow would bring the node's tables and memory to %d bytes, over its budget of %d (%d pages)",
			int64(in.memReq.Get()), in.eng.cfg.memoryBytes(), in.eng.cfg.pages())
	case in.fuelG != nil && int64(in.fuelG.Get()) < 0 && in.spinCut:
		reason = fmt.Sprintf("spin wait in %s: %d units of fuel with no send, timer, store write, log line or idle point (limits.spin_fuel): "+
			"a loop waits for what cannot happen while the guest runs (virtual time stands still until it blocks)", in.where, in.eng.cfg.spinFuel)
	case in.fuelG != nil && int64(in.fuelG.Get()) < 0:
		reason = fmt.Sprintf("cpu budget exhausted in %s (%s)", in.where, in.budget())
	case stopped:
		reason, byStop = stopReason, true
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeContextCanceled:
		reason = "aborted by the wall-clock watchdog"
	case errors.As(err, &exit):
		reason = in.notes.reason(exit.ExitCode())
	case errors.As(err, &v):
		reason = v.Error()
	case in.notes.panicReason() != "":
		reason = in.notes.panicReason()
		if strings.HasPrefix(reason, "fatal error: all goroutines are asleep") && in.inbox.nonblock {
			// A reactor that waits for idle points reads /inbox in its
			// poller: everything asleep means the export itself blocked.
			reason += ": " + blockedCall
		}
	default:
		reason = firstLine(err.Error())
		if strings.Contains(reason, "abi violation") {
			reason = reason[strings.Index(reason, "abi violation"):]
		}
	}
	// A guest that hits the memory cap sees memory.grow fail and then traps
	// or exits in its own way; name the likely cause when it was close.
	if lim, used := in.eng.cfg.pages(), in.MemoryPages(); in.api != nil && used+max(lim/16, 64) > lim && !strings.HasPrefix(reason, "cpu budget exhausted") && !strings.HasPrefix(reason, "quota ") && !byStop {
		reason = fmt.Sprintf("memory limit of %d pages reached (%d in use): %s", lim, used, reason)
	}
	in.Close()
	return &abi.CrashError{Reason: reason, Err: err}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimPrefix(s, "wasm error: ")
}

// put copies b into a guest buffer obtained from alloc.
func (in *Instance) put(b []byte) (uint32, error) {
	in.stack[0] = uint64(len(b))
	if err := in.call(in.alloc, 1); err != nil {
		return 0, err
	}
	ptr := uint32(in.stack[0])
	if len(b) > 0 {
		dst, ok := view(in.api.Memory(), ptr, uint64(len(b)))
		if !ok {
			return 0, in.crash(abiViolation{msg: fmt.Sprintf("alloc(%d) returned %d, outside memory of %d bytes", len(b), ptr, memSize(in.api.Memory()))})
		}
		copy(dst, b)
	}
	return ptr, nil
}

// Init runs _initialize (if exported) and on_init with the init document.
func (in *Instance) Init(doc []byte) error {
	if in.cmd != nil && !in.closed {
		return in.cmd.boot(doc)
	}
	if err := in.begin("_initialize", in.eng.cfg.initFuel, len(doc)); err != nil {
		return err
	}
	if in.init != nil {
		if err := in.call(in.init, 0); err != nil {
			return err
		}
	}
	in.where = "on_init"
	ptr, err := in.put(doc)
	if err != nil {
		return err
	}
	in.stack[0], in.stack[1] = uint64(ptr), uint64(len(doc))
	return in.call(in.onInit, 2)
}

// Message delivers one message from the endpoint with index from.
func (in *Instance) Message(from int32, msg []byte) error {
	if in.cmd != nil && !in.closed {
		return in.cmd.message(from, msg)
	}
	if err := in.begin("on_message", in.eng.cfg.fuel, len(msg)); err != nil {
		return err
	}
	ptr, err := in.put(msg)
	if err != nil {
		return err
	}
	in.stack[0], in.stack[1], in.stack[2] = api.EncodeI32(from), uint64(ptr), uint64(len(msg))
	if in.onEnvelope != nil {
		// Read here, natively, with the scanner the Go SDK would run in
		// the guest (several times slower there); an envelope it cannot
		// read goes to on_message, where the guest reads it its own way.
		if src, dest, body, h, ok := jsonscan.Envelope(msg); ok {
			in.stack[3], in.stack[4] = span(msg, src), span(msg, dest)
			in.stack[5], in.stack[6] = span(msg, body), span(msg, h.Type)
			in.stack[7], in.stack[8] = uint64(int64(h.MsgID)), uint64(int64(h.InReplyTo))
			return in.call(in.onEnvelope, 9)
		}
	}
	return in.call(in.onMessage, 3)
}

// span packs where sub lies in msg, which it aliases, as on_envelope
// takes it: offset << 32 | length (0 for an absent field).
func span(msg, sub []byte) uint64 {
	if len(sub) == 0 {
		return 0
	}
	off := cap(msg) - cap(sub)
	return uint64(off)<<32 | uint64(len(sub))
}

// Timer fires the guest's timer id.
func (in *Instance) Timer(id int64) error {
	if err := in.begin("on_timer", in.eng.cfg.fuel, 0); err != nil {
		return err
	}
	if in.onTimer == nil {
		return in.crash(abiViolation{msg: "a timer fired but the module does not export on_timer"})
	}
	in.stack[0] = uint64(id)
	return in.call(in.onTimer, 1)
}

// Wake calls on_wake: the guest runs until its next idle point.
func (in *Instance) Wake() error {
	if in.cmd != nil && !in.closed {
		return in.cmd.wake()
	}
	if err := in.begin("on_wake", in.eng.cfg.fuel, 0); err != nil {
		return err
	}
	if in.onWake == nil {
		return nil
	}
	return in.call(in.onWake, 0)
}

type readerFunc func(p []byte)

func (f readerFunc) Read(p []byte) (int, error) { f(p); return len(p), nil }

// logWriter turns WASI stdout/stderr into log lines. It keeps at most one
// line cap of a line in memory and counts the rest, however much the guest
// writes without a newline.
type logWriter struct {
	in      *Instance
	level   int32
	buf     []byte
	dropped int
}

func (w *logWriter) Write(p []byte) (int, error) {
	limit := w.in.eng.cfg.quotas.LogLineBytes
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		room := max(limit-len(w.buf), 0)
		if len(chunk) <= room {
			w.buf = append(w.buf, chunk...)
		} else {
			w.buf = append(w.buf, chunk[:room]...)
			w.dropped += len(chunk) - room
		}
		if i < 0 {
			break
		}
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (w *logWriter) flush() {
	line := w.buf
	if w.dropped > 0 {
		line = fmt.Appendf(line, truncatedMarker, w.dropped)
	}
	if w.level == abi.LevelStderr {
		w.in.notes.line(w.buf)
	}
	w.in.chargeLog(len(line))
	w.in.host.Log(w.level, line)
	w.buf, w.dropped = w.buf[:0], 0
}

// idleSleep is the shortest clock-only poll that counts as going idle in a
// guest that polls /inbox: Go's runtime itself sleeps only microseconds
// (usleep while spinning), a blocked goroutine's timer far longer.
const idleSleep = int64(time.Millisecond)

// blockedCall explains a guest call that blocked with nobody reading
// /inbox.
const blockedCall = "the call blocked where it must not (in the Go SDK: a HandleInline handler, RPCInline callback or TickInline function waited on a timer, a channel or a reply)"

// maxStrayPolls is how many clock-only polls of idleSleep or more a call
// may make with no read of /inbox pending before it counts as blocked.
// Go's runtime makes at most seven while it prints a panic (runtime
// freezetheworld, Go 1.26); a blocked call makes them without end.
const maxStrayPolls = 32

// pollOneoff replaces WASI's poll_oneoff. See docs/ABI.md, "Idle points".
func pollOneoff(ctx context.Context, mod api.Module, s []uint64) {
	in := inst(ctx)
	if in.cmd != nil {
		in.cmd.poll(mod, s)
		return
	}
	inPtr, outPtr, nsubs, resPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	if nsubs == 0 {
		s[0] = 28 // EINVAL
		return
	}
	// 64-bit sizes: nsubs*48 wraps in 32 bits from nsubs = 2^32/48.
	subs := read(mod, "poll_oneoff", inPtr, uint64(nsubs)*48)
	out := read(mod, "poll_oneoff", outPtr, uint64(nsubs)*32)
	clear(out)
	timeout := int64(-1)
	clockSub := -1
	fdSubs := 0
	for i := 0; i < int(nsubs); i++ {
		sub := subs[i*48:]
		switch sub[8] {
		case 0: // clock
			t := binary.LittleEndian.Uint64(sub[24:]) // u64 ns
			if sub[40]&1 != 0 {
				// An absolute time on the subscription's clock: a delay.
				now := in.clock.Nanotime()
				if binary.LittleEndian.Uint32(sub[16:]) == 0 { // realtime
					now = in.clock.Walltime()
				}
				if now := uint64(max(now, 0)); t > now {
					t -= now
				} else {
					t = 0
				}
			}
			t = min(t, math.MaxInt64)
			if clockSub < 0 || int64(t) < timeout {
				timeout, clockSub = int64(t), i
			}
		case 1, 2:
			fdSubs++
		}
	}
	n := 0
	event := func(i int, typ byte) {
		e := out[n*32:]
		copy(e[0:8], subs[i*48:i*48+8])
		e[10] = typ
		if typ != 0 {
			binary.LittleEndian.PutUint64(e[16:], uint64(in.inbox.pending))
		}
		n++
	}
	fdEvents := func() {
		for i := 0; i < int(nsubs); i++ {
			if t := subs[i*48+8]; t == 1 || t == 2 {
				event(i, t)
			}
		}
	}
	if fdSubs > 0 {
		in.strayPolls = 0
		in.progress()
	}
	switch {
	case fdSubs == 0 && in.inbox.nonblock && clockSub >= 0 && timeout >= idleSleep && in.strayPolls < maxStrayPolls:
		// Go's runtime sleeps this way itself while it stops the world to
		// print a panic (freezetheworld: usleep(1000), up to seven
		// times); a blocked call's scheduler polls the same way, but
		// forever. Let the first few pass as plain sleeps.
		in.strayPolls++
		event(clockSub, 0)
	case fdSubs == 0 && in.inbox.nonblock && clockSub >= 0 && timeout >= idleSleep:
		// The guest waits for idle points through its poller (it made
		// /inbox non-blocking) and now sleeps with no read of /inbox
		// pending, again and again: a call blocked where it must not, and
		// nothing will ever end the export.
		violate("went idle with no read of /inbox pending: " + blockedCall)
	case fdSubs == 0: // a plain sleep: virtual time does not pass inside a call
		if clockSub >= 0 {
			event(clockSub, 0)
		}
	case in.inbox.pending > 0:
		fdEvents()
	case clockSub >= 0 && timeout == 0: // a non-blocking poll
		event(clockSub, 0)
	default: // every thread is blocked: the idle point
		in.idle = true
		in.nextWake = timeout
		in.inbox.pending = 1
		fdEvents()
	}
	res, ok := view(mod.Memory(), resPtr, 4)
	if !ok {
		violate("poll_oneoff: result pointer %d is outside memory", resPtr)
	}
	binary.LittleEndian.PutUint32(res, uint32(n))
	s[0] = 0
}
