package wasmhost

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"syscall"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// Command guests (docs/ABI.md, "Command guests"): a WASI program exporting
// _start and not terrarium_abi_v1 speaks Maelstrom's protocol on stdio. Its
// _start runs on a goroutine of its own, a coroutine of the event loop:
// the host's poll_oneoff, and fd_read on an empty blocking stdin, park that
// goroutine and hand control back to the loop, which resumes it with the
// next event and waits until it parks again. Exactly one of the two runs at
// any moment, so the run stays a pure function of its seed.

// CommandInitSource is the src of the init message a command guest reads
// first; its reply (init_ok) is swallowed by the host.
const CommandInitSource = abi.InitSource

// commandInitMsgID is the msg_id of the init message.
const commandInitMsgID = 1

// errStartReturned is the crash cause of a command guest whose _start
// returned.
var errStartReturned = errors.New("_start returned: the program ended")

// errKilled unwinds a parked guest whose instance is being closed.
var errKilled = errors.New("wasmhost: command guest closed")

// fdNonblock is WASI's FD_NONBLOCK fdflag.
const fdNonblock = 4

// command is the coroutine state of one command guest.
type command struct {
	in    *Instance
	start api.Function

	self string

	stdin    []byte // bytes delivered and not yet read
	nonblock bool   // the guest set FD_NONBLOCK on stdin
	woken    bool   // the wake-up the guest asked for has come
	initDone bool   // init_ok was seen

	out []byte // a partial stdout line
	// dropping counts the bytes of a stdout line over the message limit,
	// discarded up to its newline.
	dropping int

	resume  chan struct{} // loop -> guest
	yield   chan error    // guest -> loop: nil parked, else finished
	kill    chan struct{} // closed by Close
	exited  chan struct{} // closed when the goroutine ends
	started bool
	done    bool
}

// stdinBacklog is the most stdin may hold unread before the node crashes.
func (c *command) stdinBacklog() int { return 16<<20 + c.in.maxMessage }

func newCommand(in *Instance) *command {
	return &command{in: in, resume: make(chan struct{}), yield: make(chan error), kill: make(chan struct{}), exited: make(chan struct{})}
}

// config adds the stdio of a command guest to cfg.
func (c *command) config(cfg wazero.ModuleConfig, name string) wazero.ModuleConfig {
	return cfg.WithStdin(stdinReader{c}).WithStdout(stdoutWriter{c}).WithArgs(name)
}

// isCommand reports whether exports make a command guest: _start and no
// terrarium_abi_v1.
func isCommand(exports map[string]api.FunctionDefinition) bool {
	_, start := exports["_start"]
	_, reactor := exports["terrarium_abi_v1"]
	return start && !reactor
}

// checkCommandExports checks a command guest's _start.
func checkCommandExports(exports map[string]api.FunctionDefinition) error {
	def := exports["_start"]
	if len(def.ParamTypes()) != 0 || len(def.ResultTypes()) != 0 {
		return fmt.Errorf("%w: export %q has type %s, want %s", ErrABI, "_start",
			fmtSig(def.ParamTypes(), def.ResultTypes()), fmtSig(nil, nil))
	}
	return nil
}

// run is the guest goroutine.
func (c *command) run() {
	defer close(c.exited)
	select {
	case <-c.resume:
	case <-c.kill:
		return
	}
	err := c.start.CallWithStack(c.in.ctx, nil)
	if err == nil {
		err = errStartReturned
	}
	select {
	case c.yield <- err:
	case <-c.kill:
	}
}

// park hands control back to the event loop, from the guest goroutine,
// and returns when the loop resumes it. A Close unwinds the guest.
func (c *command) park() {
	c.yield <- nil
	select {
	case <-c.resume:
	case <-c.kill:
		panic(errKilled)
	}
}

// step resumes the guest and waits until it parks or ends.
func (c *command) step() error {
	in := c.in
	if c.done || in.closed {
		return &abi.CrashError{Reason: "instance is closed"}
	}
	if !c.started {
		c.started = true
		go c.run()
	}
	if in.eng.stopDog != nil {
		in.eng.callSeq.Add(1)
		in.eng.running.Store(in)
		defer in.eng.running.Store(nil)
	}
	c.resume <- struct{}{}
	err := <-c.yield
	if err == nil {
		in.noteFuel()
	}
	if err != nil {
		c.done = true
		<-c.exited
		if errors.Is(err, errStartReturned) {
			in.Close()
			return &abi.CrashError{Reason: errStartReturned.Error(), Err: err}
		}
		return in.crash(err)
	}
	return nil
}

// close ends the guest goroutine, wherever it is parked, and waits for it.
func (c *command) close() {
	close(c.kill)
	if c.started {
		<-c.exited
	}
}

// boot gives the program its init message and runs _start until the
// program first blocks.
func (c *command) boot(doc []byte) error {
	in := c.in
	var d abi.Init
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("wasmhost: command guest: init document: %w", err)
	}
	c.self = d.Node
	// Maelstrom's init message lists every node: a command guest needs the
	// list whether or not the init document carries it.
	nodeIDs := d.Nodes
	if !d.Listed() {
		nodeIDs = make([]string, 0, max(d.NodeCount, 0))
		for i := range max(d.NodeCount, 0) {
			name, ok := in.host.EndpointName(i)
			if !ok {
				return fmt.Errorf("wasmhost: command guest: the host has no name for node %d of %d", i, d.NodeCount)
			}
			nodeIDs = append(nodeIDs, name)
		}
	}
	if nodeIDs == nil {
		nodeIDs = []string{}
	}
	line, err := json.Marshal(map[string]any{"src": CommandInitSource, "dest": d.Node,
		"body": map[string]any{"type": "init", "msg_id": commandInitMsgID, "node_id": d.Node, "node_ids": nodeIDs}})
	if err != nil {
		return fmt.Errorf("wasmhost: command guest: init message: %w", err)
	}
	c.stdin = append(line, '\n')
	if err := in.begin("boot", in.eng.cfg.initFuel, len(line)); err != nil {
		return err
	}
	return c.step()
}

// message writes one delivered envelope on stdin, its src set to the
// sender's name as the host knows it, and runs the guest until it blocks.
func (c *command) message(from int32, msg []byte) error {
	in := c.in
	if err := in.begin("message", in.eng.cfg.fuel, len(msg)); err != nil {
		return err
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(msg, &env); err != nil || env == nil {
		in.host.Log(abi.LevelWarn, fmt.Appendf(nil, "dropping a message from index %d that is not a JSON envelope", from))
		return nil
	}
	if name, ok := in.host.EndpointName(from); ok {
		src, _ := json.Marshal(name)
		env["src"] = src
	}
	line, err := json.Marshal(env) // compact: one line
	if err != nil {
		in.host.Log(abi.LevelWarn, fmt.Appendf(nil, "dropping a message from index %d: %v", from, err))
		return nil
	}
	if len(c.stdin)+len(line)+1 > c.stdinBacklog() {
		in.Close()
		return &abi.CrashError{Reason: fmt.Sprintf("stdin backlog over %d bytes: the program is not reading stdin", c.stdinBacklog())}
	}
	c.stdin = append(append(c.stdin, line...), '\n')
	return c.step()
}

// wake resumes a guest whose clock timeout has come.
func (c *command) wake() error {
	if err := c.in.begin("wake-up", c.in.eng.cfg.fuel, 0); err != nil {
		return err
	}
	c.woken = true
	return c.step()
}

// idlePoint marks the idle point and parks until the loop resumes the
// guest; wakeAfter is the delay of the guest's next timer (-1: none).
func (c *command) idlePoint(wakeAfter int64) {
	c.in.idle, c.in.nextWake = true, wakeAfter
	c.woken = false
	c.park()
}

// stdinReader is the guest's stdin.
type stdinReader struct{ c *command }

func (r stdinReader) Read(p []byte) (int, error) {
	c := r.c
	for len(c.stdin) == 0 {
		if c.nonblock {
			return 0, syscall.EAGAIN
		}
		c.idlePoint(-1) // a blocking read: nothing runs until a message
	}
	n := copy(p, c.stdin)
	c.stdin = c.stdin[n:]
	if len(c.stdin) == 0 {
		c.stdin = c.stdin[:0:0]
	}
	return n, nil
}

// stdoutWriter routes each line the guest writes to stdout as a Maelstrom
// envelope.
type stdoutWriter struct{ c *command }

func (w stdoutWriter) Write(p []byte) (int, error) {
	c := w.c
	n := len(p)
	limit := c.in.maxMessage
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		switch {
		case c.dropping > 0 || len(c.out)+len(chunk) > limit:
			c.dropping += len(c.out) + len(chunk)
			c.out = c.out[:0]
		default:
			c.out = append(c.out, chunk...)
		}
		if i < 0 {
			break
		}
		if c.dropping > 0 {
			c.in.log(abi.LevelWarn, fmt.Appendf(nil, "stdout: dropping a line of %d bytes, over the message limit of %d", c.dropping, limit))
			c.dropping = 0
		} else {
			c.route(c.out)
		}
		c.out = c.out[:0]
		p = p[i+1:]
	}
	return n, nil
}

// route sends one stdout line to the endpoint its "dest" names.
func (c *command) route(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	var env struct {
		Dest *string `json:"dest"`
		Body struct {
			Type      string `json:"type"`
			InReplyTo *int64 `json:"in_reply_to"`
		} `json:"body"`
	}
	if err := json.Unmarshal(line, &env); err != nil || env.Dest == nil {
		why := "no dest"
		if err != nil {
			why = err.Error()
		}
		c.in.log(abi.LevelWarn, fmt.Appendf(nil, "stdout: dropping a line that is not a Maelstrom envelope (%s): %s", why, clip(line)))
		return
	}
	dest := *env.Dest
	if dest == CommandInitSource && !c.initDone && env.Body.InReplyTo != nil && *env.Body.InReplyTo == commandInitMsgID {
		if env.Body.Type != "init_ok" {
			abi.Stop(fmt.Sprintf("the program answered its init message with %s", clip(line)))
		}
		c.initDone = true
		return
	}
	to, ok := c.in.host.EndpointIndex([]byte(dest))
	if !ok {
		c.in.log(abi.LevelWarn, fmt.Appendf(nil, "stdout: dropping a message to unknown dest %q: %s", dest, clip(line)))
		return
	}
	if rc := c.in.send(to, line); rc != 0 {
		c.in.log(abi.LevelWarn, fmt.Appendf(nil, "stdout: the message to %q was not sent (code %d)", dest, rc))
	}
}

// clip shortens a line quoted in a log message.
func clip(b []byte) []byte {
	if len(b) > 200 {
		return append(append([]byte(nil), b[:200]...), "..."...)
	}
	return b
}

// commandPoll is poll_oneoff for a command guest: it reports what is ready
// (stdin with bytes, any other descriptor, a clock whose timeout is zero or
// has come), or else parks the guest at its idle point.
func (c *command) poll(mod api.Module, s []uint64) {
	in := c.in
	inPtr, outPtr, nsubs, resPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	if nsubs == 0 {
		s[0] = 28 // EINVAL
		return
	}
	subs := read(mod, "poll_oneoff", inPtr, uint64(nsubs)*48)
	out := read(mod, "poll_oneoff", outPtr, uint64(nsubs)*32)
	res, ok := view(mod.Memory(), resPtr, 4)
	if !ok {
		violate("poll_oneoff: result pointer %d is outside memory", resPtr)
	}
	// The subscriptions' timeouts count from this call: a guest resumed
	// with nothing it waits for (a message while it does not read stdin)
	// parks again with what remains of them.
	timeout, clockSub := int64(-1), -1
	for i := 0; i < int(nsubs); i++ {
		if sub := subs[i*48:]; sub[8] == 0 {
			t := clockDelay(in, sub)
			if clockSub < 0 || t < timeout {
				timeout, clockSub = t, i
			}
		}
	}
	deadline := satAdd(in.clock.Nanotime(), max(timeout, 0))
	for {
		clear(out)
		if clockSub >= 0 {
			timeout = max(deadline-in.clock.Nanotime(), 0)
		}
		n := 0
		event := func(i int, typ byte, nbytes uint64) {
			e := out[n*32:]
			copy(e[0:8], subs[i*48:i*48+8])
			e[10] = typ
			binary.LittleEndian.PutUint64(e[16:], nbytes)
			n++
		}
		for i := 0; i < int(nsubs); i++ {
			sub := subs[i*48:]
			switch typ := sub[8]; typ {
			case 1, 2: // fd_read, fd_write
				fd := binary.LittleEndian.Uint32(sub[16:])
				switch {
				case fd == 0 && typ == 1:
					if len(c.stdin) > 0 {
						event(i, typ, uint64(len(c.stdin)))
					}
				case typ == 2:
					event(i, typ, 1<<16)
				default:
					event(i, typ, 0)
				}
			}
		}
		if clockSub >= 0 && (timeout == 0 || c.woken) {
			event(clockSub, 0, 0)
		}
		if n > 0 {
			in.progress()
			c.woken = false
			binary.LittleEndian.PutUint32(res, uint32(n))
			s[0] = 0
			return
		}
		c.idlePoint(timeout)
	}
}

// clockDelay reads a clock subscription's timeout as a delay in ns.
func clockDelay(in *Instance, sub []byte) int64 {
	t := binary.LittleEndian.Uint64(sub[24:])
	if sub[40]&1 != 0 { // absolute: a delay from now
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
	return int64(min(t, math.MaxInt64))
}

// commandWASI overrides the WASI functions through which a command guest
// makes its stdin non-blocking (wazero's own stdin cannot be): for fd 0 of
// a command guest, fd_fdstat_set_flags records FD_NONBLOCK and
// fd_fdstat_get reports it. Every other call goes to wazero's function.
func commandWASI(ctx context.Context, rt wazero.Runtime, wb wazero.HostModuleBuilder, exporter interface {
	ExportFunctions(wazero.HostModuleBuilder)
}) error {
	ref := rt.NewHostModuleBuilder("terrarium_wasi_reference")
	exporter.ExportFunctions(ref)
	cm, err := ref.Compile(ctx)
	if err != nil {
		return fmt.Errorf("wasmhost: WASI reference: %w", err)
	}
	defer cm.Close(ctx)
	orig := func(name string) (api.GoModuleFunction, error) {
		f, ok := cm.ExportedFunctions()[name].GoFunction().(api.GoModuleFunction)
		if !ok {
			return nil, fmt.Errorf("wasmhost: WASI %s is not a Go module function", name)
		}
		return f, nil
	}
	get, err := orig("fd_fdstat_get")
	if err != nil {
		return err
	}
	set, err := orig("fd_fdstat_set_flags")
	if err != nil {
		return err
	}
	wb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, s []uint64) {
		fd, ptr := int32(s[0]), uint32(s[1])
		get.Call(ctx, mod, s)
		if c := commandOf(ctx); c != nil && fd == 0 && s[0] == 0 && c.nonblock {
			if b, ok := view(mod.Memory(), ptr, 24); ok {
				binary.LittleEndian.PutUint16(b[2:], binary.LittleEndian.Uint16(b[2:])|fdNonblock)
			}
		}
	}), []api.ValueType{i32, i32}, []api.ValueType{i32}).WithParameterNames("fd", "result.stat").Export("fd_fdstat_get")
	wb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, s []uint64) {
		if c := commandOf(ctx); c != nil && int32(s[0]) == 0 {
			c.nonblock = uint16(s[1])&fdNonblock != 0
			s[0] = 0
			return
		}
		set.Call(ctx, mod, s)
	}), []api.ValueType{i32, i32}, []api.ValueType{i32}).WithParameterNames("fd", "flags").Export("fd_fdstat_set_flags")
	return nil
}

// commandOf returns the command state of the calling guest, or nil.
func commandOf(ctx context.Context) *command {
	if in, ok := ctx.Value(instanceKey{}).(*Instance); ok {
		return in.cmd
	}
	return nil
}
