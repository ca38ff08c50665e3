package e2e

import (
	"testing"
)

// pinger pings nodes 0, 1 and 2 when it boots and answers every message:
// on the default network (a constant 1 ms) the pings sent at one instant
// are due at one instant.
const pinger = `(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"type\":\"ping\"}")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (drop (call $send (i32.const 0) (i32.const 0) (i32.const 15)))
    (drop (call $send (i32.const 1) (i32.const 0) (i32.const 15)))
    (drop (call $send (i32.const 2) (i32.const 0) (i32.const 15))))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (drop (call $send (local.get $from) (local.get $p) (local.get $n)))))`

// TestLab2InChromium walks issue 18's parts 4 and 5 in chromium (lab2.mjs):
// picking the message delivered next and replaying the pick from the
// export, and the run's permanent link and zip bundle. Screenshots go to
// $TERRARIUM_SHOTS, else screenshots/lab2 (gitignored).
func TestLab2InChromium(t *testing.T) {
	readInputs(t)
	browser := chromium(t)
	bin := buildTerrarium(t)
	shots := shotsDir(t, "lab2")
	mod := pingerModule(t)

	_, url := serve(t, bin, t.TempDir())
	browse(t, browser, "lab2.mjs", url, shots, mod)
}
