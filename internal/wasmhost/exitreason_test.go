package wasmhost

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reference: docs/ABI.md, "Crash reasons": the reason of a guest that
// exits comes from what it wrote to stderr in that callback.
func TestExitNotesReason(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stderr string
		code   uint32
		want   string
	}{
		{"nothing written", "", 3, "exited with code 3"},
		{"a plain last line", "hello\nbad input\n", 4, "exited with code 4; its last stderr line: bad input"},
		{"log.Fatal", "2026/12/07 05:49:44 Received x\n2026/12/07 05:49:44.123456 fatal boom\n", 1, "log.Fatal: fatal boom"},
		{"a reason the guest names", "x\nterrarium: crash: no handler for \"q\"\n", 1, `no handler for "q"`},
		{"a named reason needs a non-zero code", "terrarium: crash: bye\n", 0, "exited with code 0"},
		{"a fatal error and its first frame outside the runtime",
			"fatal error: concurrent map writes\n\ngoroutine 5 [running]:\nruntime.throw({0x1, 0x2})\n\truntime/panic.go:1 +0x1\nmain.put(...)\n\tapp/main.go:9 +0x2\nmain.main()\n\tapp/main.go:20 +0x3\n", 2,
			"fatal error: concurrent map writes (in main.put at app/main.go:9)"},
		{"the SDK's frames are skipped and the handler named",
			"terrarium: panic in handler for \"read\"\npanic: boom\n\ngoroutine 7 [running]:\npanic({0x1, 0x2})\n\truntime/panic.go:1 +0x1\n" +
				"github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom.(*Node).runHandler.func1()\n\tx/node.go:1 +0x1\nmain.main.func1({...})\n\tapp/main.go:12 +0x2\n", 2,
			`panic in handler for "read": boom (in main.main.func1 at app/main.go:12)`},
		{"a marker not right before the panic names nothing",
			"terrarium: panic in handler for \"read\"\nother\npanic: boom\n", 2, "panic: boom"},
		{"a panic with another exit code is not the reason", "panic: boom\n", 1, "exited with code 1; its last stderr line: panic: boom"},
		{"a long line is clipped", "terrarium: crash: " + strings.Repeat("x", 600) + "\n", 1, strings.Repeat("x", maxNote-len("terrarium: crash: ")) + "..."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n exitNotes
			lines := strings.Split(tc.stderr, "\n")
			for _, l := range lines[:len(lines)-1] {
				n.line([]byte(l))
			}
			assert.Equal(t, tc.want, n.reason(tc.code))
		})
	}
}
