package playground_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stater emits a state twice when it boots, and a third "state" that is
// not JSON on its first message.
const stater = `(module
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "state{\"v\":1}{\"v\":2}not json")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (call $emit (i32.const 0) (i32.const 5) (i32.const 5) (i32.const 7))
    (call $emit (i32.const 0) (i32.const 5) (i32.const 12) (i32.const 7)))
  (func (export "on_message") (param i32 i32 i32)))`

// Reference: issue 18 part 3: the node endpoint returns a node's last
// "state" emit as guest_state, JSON or, if the guest emitted something
// else, as a string; a node that emitted none has none.
func TestNodeGuestState(t *testing.T) {
	_, hs := newServer(t, runConfig())
	api := hs.URL + "/api/v1"
	sha := uploaded(t, hs.URL, wat(t, stater))
	quiet := uploaded(t, hs.URL, abiGuest(t, "", ""))
	scn := "name: st\nduration: 10ms\nmodules:\n  s: {sha256: " + sha + ", roles: [server]}\n  q: {sha256: " + quiet + ", roles: [server]}\n" +
		"nodes:\n  - {name: a, module: s, role: server}\n  - {name: b, module: q, role: server}\n"
	st := mustOK(t, postJSON(t, api+"/runs", map[string]any{"scenario": scn}), http.StatusCreated)
	run := api + "/runs/" + st.ID
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "5ms"}), http.StatusOK)
	r := get(t, run+"/nodes/a")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, map[string]any{"v": float64(2)}, r.json(t)["guest_state"], "the last state emit")
	r = get(t, run+"/nodes/b")
	require.Equal(t, http.StatusOK, r.Status)
	assert.NotContains(t, r.json(t), "guest_state")

	bad := strings.Replace(stater, "(i32.const 12) (i32.const 7)))", "(i32.const 19) (i32.const 8)))", 1)
	sha = uploaded(t, hs.URL, wat(t, bad))
	st = mustOK(t, postJSON(t, api+"/runs", map[string]any{"scenario": strings.Replace(scn, "s: {sha256: "+uploadedSHA(scn), "s: {sha256: "+sha, 1)}), http.StatusCreated)
	mustOK(t, postJSON(t, api+"/runs/"+st.ID+"/control", map[string]any{"action": "advance", "to": "5ms"}), http.StatusOK)
	r = get(t, api+"/runs/"+st.ID+"/nodes/a")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "not json", r.json(t)["guest_state"], "a state that is not JSON comes as a string")
}

// uploadedSHA is the first module digest in a scenario written above.
func uploadedSHA(scn string) string {
	i := strings.Index(scn, "sha256: ") + len("sha256: ")
	return scn[i : i+64]
}
