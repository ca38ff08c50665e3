// Package worker starts and supervises the child processes in which the
// server runs guest code and compilers: one per run, and a short-lived one
// per module validation. A child is the same binary started again with
// other arguments; it gets its input on stdin, answers on stdout, may
// serve HTTP on a unix listener handed to it as file descriptor 3, and
// runs under operating-system limits that the parent sets before it writes
// the input, so the child does nothing before its limits hold.
//
// When a child dies, Exit says why in words a user can act on: which of
// its limits it ran into, or that it was killed and by whom.
package worker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Limits are a child's operating-system limits. Zero leaves one unset.
type Limits struct {
	// MemoryBytes caps the child's data (RLIMIT_DATA: heap and private
	// writable mappings, wazero's linear memories among them). Address
	// space (RLIMIT_AS) is not used: wazero and Go reserve far more
	// address space than they touch.
	MemoryBytes int64
	// CPUSeconds caps the child's CPU time (RLIMIT_CPU).
	CPUSeconds int64
	// OpenFiles caps the child's open file descriptors (RLIMIT_NOFILE).
	OpenFiles int64
	// FileBytes caps the size of any file the child writes (RLIMIT_FSIZE):
	// a run's trace and reports among them.
	FileBytes int64
	// Isolate starts the child in new network, IPC and PID namespaces
	// (it needs root, or fails to start): it can then reach no socket of
	// the host, see no other process and share no System V IPC.
	Isolate bool
}

// Command is a child to start.
type Command struct {
	Path string   // the binary (usually os.Executable)
	Args []string // arguments after the binary's name
	// Env is added to the few variables of the parent's environment a
	// child inherits (inherited).
	Env []string
	// Input is written to the child's stdin, which is then closed.
	Input  []byte
	Limits Limits
	// Listen hands the child a unix listener as file descriptor 3; the
	// parent reaches it through Proc.Transport.
	Listen bool
}

// Proc is a started child.
type Proc struct {
	cmd    *exec.Cmd
	limits Limits
	sock   string
	tmp    string
	out    *os.File
	stdout *bufio.Reader
	stderr *tail
	tr     *http.Transport
	done   chan struct{}
	start  time.Time

	mu     sync.Mutex
	killed string // why the parent killed it, if it did
	state  *os.ProcessState
	werr   error
}

// inherited names the variables of the parent's environment a child gets;
// nothing else (a token, say) reaches it.
var inherited = []string{"PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME", "LANG", "GOGC", "GODEBUG", "GOMAXPROCS", "GOTRACEBACK"}

func environ() []string {
	var env []string
	for _, k := range inherited {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// ListenerFD is the file descriptor of the listener a child gets.
const ListenerFD = 3

// Start starts the child, sets its limits and writes its input.
func Start(c Command) (*Proc, error) {
	p := &Proc{limits: c.Limits, stderr: &tail{max: 8 << 10}, done: make(chan struct{}), start: time.Now()}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = append(environ(), c.Env...)
	if c.Limits.MemoryBytes > 0 {
		// Let the child's collector work harder before the hard limit.
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMEMLIMIT=%d", c.Limits.MemoryBytes/4*3))
	}
	cmd.Stderr = p.stderr
	cmd.SysProcAttr = sysProcAttr(c.Limits)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	// A pipe of our own, not StdoutPipe: Wait would close that one
	// before every byte of it was read.
	out, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	defer outW.Close()
	cmd.Stdout = outW
	p.out = out
	p.stdout = bufio.NewReader(out)
	if c.Listen {
		// A short folder of its own: unix socket paths are limited to
		// about 100 bytes.
		if p.tmp, err = os.MkdirTemp("", "trw"); err != nil {
			return nil, fmt.Errorf("worker: %w", err)
		}
		p.sock = filepath.Join(p.tmp, "s")
		ln, err := net.Listen("unix", p.sock)
		if err != nil {
			p.cleanup()
			return nil, fmt.Errorf("worker: %w", err)
		}
		ul := ln.(*net.UnixListener)
		// The child listens on a copy; closing ours must not unlink the
		// path (the folder is removed when the child ends).
		ul.SetUnlinkOnClose(false)
		f, err := ul.File()
		ln.Close()
		if err != nil {
			p.cleanup()
			return nil, fmt.Errorf("worker: %w", err)
		}
		defer f.Close()
		cmd.ExtraFiles = []*os.File{f}
		sock := p.sock
		p.tr = &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
			MaxIdleConnsPerHost: 8,
			IdleConnTimeout:     30 * time.Second,
		}
	}
	p.cmd = cmd
	if err := cmd.Start(); err != nil {
		out.Close()
		p.cleanup()
		return nil, fmt.Errorf("worker: start %s: %w", c.Path, err)
	}
	go p.wait()
	if err := setLimits(cmd.Process.Pid, c.Limits); err != nil {
		p.Kill("its limits could not be set")
		<-p.done
		return nil, err
	}
	go func() {
		_, _ = stdin.Write(c.Input)
		_ = stdin.Close()
	}()
	return p, nil
}

func (p *Proc) wait() {
	err := p.cmd.Wait()
	p.mu.Lock()
	p.state, p.werr = p.cmd.ProcessState, err
	p.mu.Unlock()
	if p.tr != nil {
		p.tr.CloseIdleConnections()
	}
	p.cleanup()
	close(p.done)
}

// Close releases the parent's end of the child's stdout; call it once the
// child has exited and its output is read.
func (p *Proc) Close() { _ = p.out.Close() }

func (p *Proc) cleanup() {
	if p.tmp != "" {
		_ = os.RemoveAll(p.tmp)
	}
}

// Pid is the child's process id (as the parent sees it).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Transport reaches the child's listener (nil without Command.Listen).
func (p *Proc) Transport() http.RoundTripper { return p.tr }

// ReadLine reads the next line the child writes on stdout, giving up
// after d (the child is then killed).
func (p *Proc) ReadLine(d time.Duration) ([]byte, error) {
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := p.stdout.ReadBytes('\n')
		ch <- res{b, err}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil && len(r.b) == 0 {
			<-p.done
			return nil, errors.New(p.Exit().String())
		}
		return bytes.TrimSpace(r.b), nil
	case <-t.C:
		p.Kill(fmt.Sprintf("it did not answer within %v", d))
		<-p.done
		return nil, errors.New(p.Exit().String())
	}
}

// DiscardOutput reads and drops whatever the child writes on stdout from
// now on, so that it never blocks on a full pipe.
func (p *Proc) DiscardOutput() {
	go func() { _, _ = io.Copy(io.Discard, p.stdout) }()
}

// Done is closed when the child has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Kill kills the child at once (SIGKILL), recording why.
func (p *Proc) Kill(why string) {
	p.mu.Lock()
	if p.killed == "" {
		p.killed = why
	}
	p.mu.Unlock()
	// The whole process group: the child and anything it started.
	killGroup(p.cmd.Process.Pid)
	_ = p.cmd.Process.Kill()
}

// Stop asks the child to end (SIGTERM) and kills it after grace.
func (p *Proc) Stop(grace time.Duration, why string) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.Kill(why)
		<-p.done
	}
}

// Exit is how a child ended.
type Exit struct {
	Code     int            // exit code, -1 if a signal ended it
	Signal   syscall.Signal // the signal that ended it, if one did
	CPU      time.Duration  // user + system time it used
	Killed   string         // why the parent killed it, if it did
	Stderr   string         // the end of its standard error
	Limits   Limits
	Duration time.Duration
}

// Exit reports how the child ended; call it after Done is closed.
func (p *Proc) Exit() Exit {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := Exit{Code: -1, Killed: p.killed, Stderr: p.stderr.String(), Limits: p.limits, Duration: time.Since(p.start)}
	if p.state != nil {
		e.Code = p.state.ExitCode()
		if ws, ok := p.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.Signal = ws.Signal()
		}
		e.CPU = p.state.UserTime() + p.state.SystemTime()
	}
	return e
}

// OK says whether the child exited by itself with status 0.
func (e Exit) OK() bool { return e.Code == 0 && e.Killed == "" }

// String says why the child ended, naming the limit it ran into when it
// ran into one.
func (e Exit) String() string {
	l := e.Limits
	errText := lastLines(e.Stderr, 3)
	switch {
	case e.Killed != "":
		return "the worker was killed: " + e.Killed
	case e.Signal == syscall.SIGXCPU || (l.CPUSeconds > 0 && e.Signal == syscall.SIGKILL && e.CPU >= time.Duration(l.CPUSeconds)*time.Second):
		return fmt.Sprintf("the worker exceeded its CPU time limit (%d s)", l.CPUSeconds)
	case l.MemoryBytes > 0 && outOfMemory(e.Stderr):
		return fmt.Sprintf("the worker exceeded its memory limit (%d MiB)", l.MemoryBytes>>20)
	case l.MemoryBytes > 0 && gcFault(e.Stderr):
		return fmt.Sprintf("the worker exceeded its memory limit (%d MiB): Go's garbage collector crashed (SIGSEGV) as allocations failed", l.MemoryBytes>>20)
	case e.Signal == syscall.SIGXFSZ || (l.FileBytes > 0 && strings.Contains(e.Stderr, "file too large")):
		return fmt.Sprintf("the worker exceeded its file size limit (%d MiB)", l.FileBytes>>20)
	case l.OpenFiles > 0 && strings.Contains(e.Stderr, "too many open files"):
		return fmt.Sprintf("the worker exceeded its open files limit (%d)", l.OpenFiles)
	case e.Signal != 0:
		if errText != "" {
			return fmt.Sprintf("the worker crashed (%v): %s", e.Signal, errText)
		}
		return fmt.Sprintf("the worker crashed (%v)", e.Signal)
	case e.Code != 0:
		if errText != "" {
			return fmt.Sprintf("the worker crashed (exit status %d): %s", e.Code, errText)
		}
		return fmt.Sprintf("the worker crashed (exit status %d)", e.Code)
	}
	return "the worker exited"
}

// outOfMemory says whether a child's standard error shows it ran out of
// memory: Go's runtime throws "out of memory" or "cannot allocate memory"
// when an allocation fails, and its cgo start-up aborts with
// "pthread_create failed" when a new thread's stack cannot be mapped (under
// RLIMIT_DATA, a thread stack counts as data; seen here as a SIGABRT).
func outOfMemory(stderr string) bool {
	for _, s := range []string{"out of memory", "cannot allocate memory", "pthread_create failed"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

// gcFault says whether a child crashed with a segmentation fault inside Go's
// garbage collector: seen here only when a run worker hits RLIMIT_DATA
// (Go 1.26's collector dereferences nil when the memory it asks for is
// refused), so it is reported as the memory limit, saying how it showed.
func gcFault(stderr string) bool {
	return strings.HasPrefix(stderr, "SIGSEGV: segmentation violation") && strings.Contains(stderr, "/runtime/mgc")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	// The first line of a Go crash names it; keep that and the last few.
	for i, ln := range lines {
		if strings.HasPrefix(ln, "fatal error:") || strings.HasPrefix(ln, "panic:") {
			return strings.TrimSpace(ln)
		}
		_ = i
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, " | "))
}

// tail keeps the first and last bytes written to it, up to max in all.
type tail struct {
	mu   sync.Mutex
	max  int
	head []byte
	end  []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(b)
	if room := t.max/2 - len(t.head); room > 0 {
		k := min(room, len(b))
		t.head = append(t.head, b[:k]...)
		b = b[k:]
	}
	t.end = append(t.end, b...)
	if over := len(t.end) - t.max/2; over > 0 {
		t.end = append(t.end[:0], t.end[over:]...)
	}
	return n, nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.head) + string(t.end)
}

// Listener returns the listener the parent handed this child.
func Listener() (net.Listener, error) {
	f := os.NewFile(ListenerFD, "worker-listener")
	if f == nil {
		return nil, errors.New("worker: no listener on file descriptor 3")
	}
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("worker: listener: %w", err)
	}
	return ln, nil
}

// Run starts a short-lived child, waits for it and returns its stdout
// (bounded by maxOut) and how it ended; it is killed when ctx ends or
// after timeout.
func Run(ctx context.Context, c Command, timeout time.Duration, maxOut int64) ([]byte, Exit, error) {
	p, err := Start(c)
	if err != nil {
		return nil, Exit{}, err
	}
	outc := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(p.stdout, maxOut))
		_, _ = io.Copy(io.Discard, p.stdout)
		outc <- b
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.Kill(fmt.Sprintf("it ran past its time limit of %v", timeout))
	case <-ctx.Done():
		p.Kill("the request was cancelled")
	}
	<-p.done
	b := <-outc
	p.Close()
	return b, p.Exit(), nil
}

// CanIsolate says whether children of bin can start in new namespaces
// here (Limits.Isolate): it starts `bin worker probe` once that way.
func CanIsolate(bin string) bool {
	_, ex, err := Run(context.Background(), Command{Path: bin, Args: []string{"worker", "probe"}, Limits: Limits{Isolate: true}}, 10*time.Second, 1<<10)
	return err == nil && ex.OK()
}
