package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// crashReason runs one node of module dir (role role) with one client
// that, at 10 ms, sends it body; it returns the node's crash reason and
// the reason its trace crash event carries.
func crashReason(t *testing.T, cache, dir, role string, env bool, body map[string]any) (string, string) {
	t.Helper()
	e := sim.Engine{CacheDir: cache}
	if env {
		e.Env = [][2]string{{"GOCRASH_INIT", "1"}}
	}
	s, err := sim.New(context.Background(), sim.NewConfig().WithEngine(e))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("m", goGuest(t, dir)))
	_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Module: "m", Role: role})
	require.NoError(t, err)
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	if body != nil {
		s.At(10*time.Millisecond, func() {
			require.NoError(t, cl[0].Call("n0", body, 0, func(history.Reply) {}))
		})
	}
	require.NoError(t, s.RunUntil(200*time.Millisecond))
	traced := ""
	for _, e := range s.Events() {
		if e.Kind == trace.KindCrash {
			traced = string(e.Data)
		}
	}
	return s.Node("n0").CrashReason(), traced
}

// Reference: issue 16, "Crash reasons that lie": a Go guest's panic,
// log.Fatal, os.Exit and the SDK's no-handler stop each crash the node
// with their own reason, in both guest styles.
func TestGoGuestCrashReasons(t *testing.T) {
	crash := map[string]any{"type": "crash", "index": 5}
	cache := t.TempDir()
	for _, tc := range []struct {
		name, dir, role string
		env             bool
		body            map[string]any
		want            string
	}{
		{"reactor handler panic", "gocrash", "handler-panic", false, crash, `panic in handler for "crash": runtime error: index out of range [5] with length 3 (in main.main.func1 at github.com/terrarium-sim/terrarium/internal/testguests/gocrash/main.go:51)`},
		{"reactor inline panic", "gocrash", "inline-panic", false, crash, `panic in handler for "crash": inline boom (in main.main.func2 at github.com/terrarium-sim/terrarium/internal/testguests/gocrash/main.go:55)`},
		{"reactor timer panic", "gocrash", "timer-panic", false, nil, `panic: timer boom (in main.main.func3 at github.com/terrarium-sim/terrarium/internal/testguests/gocrash/main.go:58)`},
		{"reactor main panic", "gocrash", "main-panic", false, nil, `panic: main boom (in main.main at github.com/terrarium-sim/terrarium/internal/testguests/gocrash/main.go:60)`},
		{"reactor init panic", "gocrash", "", true, nil, `panic: init boom (in main.init.0 at github.com/terrarium-sim/terrarium/internal/testguests/gocrash/main.go:32)`},
		{"reactor log.Fatal", "gocrash", "log-fatal", false, crash, `log.Fatal: fatal boom`},
		{"reactor os.Exit", "gocrash", "os-exit", false, crash, `exited with code 3`},
		{"reactor no handler", "gocrash", "no-handler", false, crash, `maelstrom: no handler for message type "crash": {"src":"c0","dest":"n0","body":{"index":5,"msg_id":1,"type":"crash"}}`},
		{"command goroutine panic", "gocrashcmd", "", false, map[string]any{"type": "crash", "how": "handler-panic", "index": 5}, `panic: runtime error: index out of range [5] with length 3 (in main.main.func1 at github.com/terrarium-sim/terrarium/internal/testguests/gocrashcmd/main.go:63)`},
		{"command inline panic", "gocrashcmd", "", false, map[string]any{"type": "crash", "how": "inline-panic"}, `panic: inline boom (in main.main at github.com/terrarium-sim/terrarium/internal/testguests/gocrashcmd/main.go:65)`},
		{"command timer panic", "gocrashcmd", "", false, map[string]any{"type": "crash", "how": "timer-panic"}, `panic: timer boom (in main.main.func2 at github.com/terrarium-sim/terrarium/internal/testguests/gocrashcmd/main.go:67)`},
		{"command init panic", "gocrashcmd", "", true, nil, `panic: init boom (in main.init.0 at github.com/terrarium-sim/terrarium/internal/testguests/gocrashcmd/main.go:31)`},
		{"command log.Fatal", "gocrashcmd", "", false, map[string]any{"type": "crash", "how": "log-fatal"}, `log.Fatal: fatal boom`},
		{"command os.Exit", "gocrashcmd", "", false, map[string]any{"type": "crash", "how": "os-exit"}, `exited with code 3`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, traced := crashReason(t, cache, "../../internal/testguests/"+tc.dir, tc.role, tc.env, tc.body)
			assert.Equal(t, tc.want, got)
			assert.Contains(t, traced, got, "the trace carries the reason")
		})
	}
}
