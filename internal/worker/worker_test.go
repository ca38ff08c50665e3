package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childEnv makes the test binary a child that does what its value says.
const childEnv = "TERRARIUM_WORKER_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "echo": // copies stdin to stdout
		_, _ = io.Copy(os.Stdout, os.Stdin)
	case "alloc": // allocates and touches 1 GiB
		_, _ = io.Copy(io.Discard, os.Stdin)
		var keep [][]byte
		for range 1024 {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println(len(keep))
	case "spin": // burns CPU forever
		_, _ = io.Copy(io.Discard, os.Stdin)
		for n := 0; ; n++ {
			_ = n * n
		}
	case "serve": // serves HTTP on the listener it was handed
		_, _ = io.Copy(io.Discard, os.Stdin)
		ln, err := Listener()
		if err != nil {
			os.Exit(3)
		}
		fmt.Println("ready")
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello "+r.URL.Path) }))
	case "dial": // dials the address on stdin
		addr, _ := io.ReadAll(os.Stdin)
		if c, err := net.Dial("tcp", string(addr)); err == nil {
			c.Close()
			fmt.Print("connected")
		} else {
			fmt.Print("no network")
		}
	case "confined": // confines itself, then tries a program, the network and a unix socket
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := Confine(); err != nil {
			fmt.Print("confine: ", err)
			os.Exit(1)
		}
		tryAll()
	case "free":
		_, _ = io.Copy(io.Discard, os.Stdin)
		tryAll()
	case "env":
		_, _ = io.Copy(io.Discard, os.Stdin)
		fmt.Print(os.Getenv("TERRARIUM_TOKEN"), "|", os.Getenv(childEnv))
	case "crash":
		_, _ = io.Copy(io.Discard, os.Stdin)
		fmt.Fprintln(os.Stderr, "panic: deliberate")
		os.Exit(2)
	}
	os.Exit(0)
}

func child(what string, l Limits) Command {
	return Command{Path: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{childEnv + "=" + what}, Limits: l}
}

func TestRunPassesInputAndOutput(t *testing.T) {
	out, ex, err := Run(context.Background(), Command{Path: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{childEnv + "=echo"},
		Input: []byte("bytes in, bytes out")}, 30*time.Second, 1<<10)
	require.NoError(t, err)
	assert.True(t, ex.OK(), ex.String())
	assert.Equal(t, "bytes in, bytes out", string(out))
}

// Each limit, when a child runs into it, is the reason its exit gives.
func TestExitNamesTheLimit(t *testing.T) {
	for _, c := range []struct {
		name, what string
		limits     Limits
		want       string
	}{
		{"memory", "alloc", Limits{MemoryBytes: 256 << 20}, "the worker exceeded its memory limit (256 MiB)"},
		{"cpu", "spin", Limits{CPUSeconds: 1}, "the worker exceeded its CPU time limit (1 s)"},
		{"crash", "crash", Limits{}, "the worker crashed (exit status 2): panic: deliberate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if raceEnabled && c.limits.MemoryBytes > 0 {
				t.Skip("the race detector's own memory is over the limit")
			}
			_, ex, err := Run(context.Background(), child(c.what, c.limits), time.Minute, 1<<10)
			require.NoError(t, err)
			assert.False(t, ex.OK())
			assert.Equal(t, c.want, ex.String())
		})
	}
}

// Without its limit the allocating child succeeds: the limit is what
// stops it above.
func TestAllocWithoutLimitSucceeds(t *testing.T) {
	out, ex, err := Run(context.Background(), child("alloc", Limits{}), time.Minute, 1<<10)
	require.NoError(t, err)
	assert.True(t, ex.OK(), ex.String())
	assert.Equal(t, "1024\n", string(out))
}

func TestRunKillsPastItsTime(t *testing.T) {
	_, ex, err := Run(context.Background(), child("spin", Limits{}), 200*time.Millisecond, 1<<10)
	require.NoError(t, err)
	assert.Equal(t, "the worker was killed: it ran past its time limit of 200ms", ex.String())
}

// A child serves HTTP on the listener it is handed; Stop ends it.
func TestListenerAndTransport(t *testing.T) {
	c := child("serve", Limits{OpenFiles: 64})
	c.Listen = true
	p, err := Start(c)
	require.NoError(t, err)
	line, err := p.ReadLine(30 * time.Second)
	require.NoError(t, err)
	require.Equal(t, "ready", string(line))
	hc := &http.Client{Transport: p.Transport()}
	resp, err := hc.Get("http://worker/x")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hello /x", string(b))
	p.Stop(time.Second, "test over")
	<-p.Done()
	p.Close()
	_, err = net.Dial("unix", p.sock)
	assert.Error(t, err, "the socket is gone with its child")
}

// An isolated child has a network of its own: it cannot reach a listener
// of the host's loopback, which a child that is not isolated reaches.
func TestIsolateCutsTheNetwork(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("new namespaces need root")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	for _, c := range []struct {
		isolate bool
		want    string
	}{{false, "connected"}, {true, "no network"}} {
		cmd := child("dial", Limits{Isolate: c.isolate})
		cmd.Input = []byte(ln.Addr().String())
		out, ex, err := Run(context.Background(), cmd, 30*time.Second, 1<<10)
		require.NoError(t, err)
		require.True(t, ex.OK(), ex.String())
		assert.Equal(t, c.want, string(out), "isolate=%v", c.isolate)
	}
}

// tryAll prints what a child could do: start a program, open a TCP
// socket, open a unix socket.
func tryAll() {
	if err := exec.Command("/bin/true").Run(); err != nil {
		fmt.Println("exec:", errors.Unwrap(err))
	} else {
		fmt.Println("exec: ok")
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err != nil {
		fmt.Println("tcp:", errors.Unwrap(errors.Unwrap(err)))
	} else {
		ln.Close()
		fmt.Println("tcp: ok")
	}
	dir, _ := os.MkdirTemp("", "trw-test")
	defer os.RemoveAll(dir)
	if ln, err := net.Listen("unix", dir+"/s"); err != nil {
		fmt.Println("unix:", err)
	} else {
		ln.Close()
		fmt.Println("unix: ok")
	}
}

// A confined child cannot start a program or open a network socket, and
// still makes unix sockets (its server's); an unconfined one can do all.
func TestConfine(t *testing.T) {
	if auditArch() == 0 {
		t.Skip("no seccomp filter for " + runtime.GOARCH)
	}
	out, ex, err := Run(context.Background(), child("free", Limits{}), 30*time.Second, 1<<10)
	require.NoError(t, err)
	require.True(t, ex.OK(), ex.String())
	assert.Equal(t, "exec: ok\ntcp: ok\nunix: ok\n", string(out))
	out, ex, err = Run(context.Background(), child("confined", Limits{}), 30*time.Second, 1<<10)
	require.NoError(t, err)
	require.True(t, ex.OK(), ex.String()+string(out))
	assert.Equal(t, "exec: operation not permitted\ntcp: address family not supported by protocol\nunix: ok\n", string(out))
}

// A child inherits only a few variables of its parent's environment: the
// server's token, for one, does not reach it.
func TestChildEnvironment(t *testing.T) {
	t.Setenv("TERRARIUM_TOKEN", "secret")
	out, ex, err := Run(context.Background(), child("env", Limits{}), 30*time.Second, 1<<10)
	require.NoError(t, err)
	require.True(t, ex.OK(), ex.String())
	assert.Equal(t, "|env", string(out))
}

// A child that ran out of memory says so in several ways, depending on
// where the allocation failed; each is named as the memory limit, and a
// crash with none of them is not.
func TestExitStringNamesEveryOutOfMemory(t *testing.T) {
	l := Limits{MemoryBytes: 256 << 20}
	for stderr, want := range map[string]string{
		"fatal error: runtime: out of memory\n\nruntime stack:\n":                              "the worker exceeded its memory limit (256 MiB)",
		"fatal error: runtime: cannot allocate memory\n":                                       "the worker exceeded its memory limit (256 MiB)",
		"fatal error: out of memory allocating heap arena metadata\n":                          "the worker exceeded its memory limit (256 MiB)",
		"runtime/cgo: pthread_create failed: Resource temporarily unavailable\nSIGABRT: abort": "the worker exceeded its memory limit (256 MiB)",
		"SIGSEGV: segmentation violation\nPC=0x438dfd m=0 sigcode=1 addr=0x0\n\ngoroutine 0 gp=0x176a520 m=0 mp=0x176bba0 [idle]:\nruntime.(*spanQueue).tryDrain(0x1?)\n\t/usr/local/go/src/runtime/mgcmark_greenteagc.go:520 +0x5d\n": "the worker exceeded its memory limit (256 MiB): Go's garbage collector crashed (SIGSEGV) as allocations failed",
		"panic: boom\n\ngoroutine 1 [running]:\n": "the worker crashed (exit status 2): panic: boom",
	} {
		assert.Equal(t, want, Exit{Code: 2, Stderr: stderr, Limits: l}.String(), stderr)
	}
}
