package playground_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

// pinger pings nodes 0, 1 and 2 when it boots and answers every message:
// on the default network (a constant 1 ms) the pings sent at one instant
// are due at one instant, a choice point.
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

// tiedEcho is a scenario of three pingers on the default network.
func tiedEcho(sha string) string {
	return fmt.Sprintf(`name: pingers
seed: 3
duration: 50ms
modules:
  p: {sha256: %s, roles: [server]}
nodes:
  - {name: n, count: 3, module: p, role: server}
`, sha)
}

// stepToChoice steps a paused run until two messages are due at one
// instant, and returns what GET next lists there.
func stepToChoice(t *testing.T, run string) playground.NextView {
	t.Helper()
	for range 400 {
		var v playground.NextView
		r := get(t, run+"/next")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.NoError(t, json.Unmarshal(r.Body, &v))
		msgs := 0
		for _, e := range v.Due {
			if e.Kind == "deliver" {
				msgs++
			}
		}
		if msgs >= 2 {
			return v
		}
		mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "step"}), http.StatusOK)
	}
	t.Fatal("no instant with two messages due in 400 steps")
	return playground.NextView{}
}

func TestStepByMessage(t *testing.T) { inEachMode(t, testStepByMessage) }

// In a paused run a person picks which due message is delivered next; the
// pick is a schedule decision on the timeline, and the export replays it
// to the run's digest (Stateright's explorer, DESIGN.md "Choice points").
func testStepByMessage(t *testing.T, cfg playground.Config) {
	s, hs := newServer(t, cfg)
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wat(t, pinger))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": tiedEcho(sha)}), http.StatusCreated)
	run := api + "/" + st.ID
	v := stepToChoice(t, run)
	last := v.Due[len(v.Due)-1]
	assert.Equal(t, len(v.Due)-1, last.Pick)
	assert.NotEmpty(t, v.InFlight)
	for _, m := range v.InFlight {
		assert.GreaterOrEqual(t, m.AtNS, v.NowNS, "a message in flight arrives later: %+v", m)
		assert.NotEmpty(t, m.From, m.Label)
	}

	after := status(t, postJSON(t, run+"/next", map[string]any{"pick": last.Pick}))
	assert.Equal(t, v.Seq < after.Seq, true, "the pick ran an event")
	raw := get(t, run).json(t)["actions"].([]any)
	require.Len(t, raw, 1)
	want := fmt.Sprintf("order %d %d", v.Step, last.Pick)
	assert.Equal(t, want, raw[0].(map[string]any)["decision"])

	fin := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	require.Equal(t, "finished", fin.State, fin.Error)
	exp := get(t, run+"/export")
	require.Equal(t, http.StatusOK, exp.Status)
	assert.Contains(t, string(exp.Body), want)
	assert.Equal(t, fin.Digest, replay(t, s, exp.Body), "the export replays the pick")

	// Without the pick, the seed's own run differs.
	plain := mustOK(t, postJSON(t, api, map[string]any{"scenario": tiedEcho(sha)}), http.StatusCreated)
	pf := mustOK(t, postJSON(t, api+"/"+plain.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	assert.NotEqual(t, pf.Digest, fin.Digest)
}

func TestStepByMessageRefusesBadPicks(t *testing.T) {
	_, hs := newServer(t, runConfig())
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wat(t, pinger))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": tiedEcho(sha)}), http.StatusCreated)
	run := api + "/" + st.ID
	v := stepToChoice(t, run)
	for _, body := range []map[string]any{{}, {"pick": -1}, {"pick": len(v.Due)}} {
		r := postJSON(t, run+"/next", body)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", body, r.Body)
	}
	assert.Equal(t, v.Seq, status(t, get(t, run)).Seq, "a refused pick runs nothing")

	// Rewound behind a pick, picking again needs a fork.
	mustOK(t, postJSON(t, run+"/next", map[string]any{"pick": 1}), http.StatusOK)
	mustOK(t, postJSON(t, run+"/seek", map[string]any{"seq": v.Seq}), http.StatusOK)
	r := postJSON(t, run+"/next", map[string]any{"pick": 1})
	assert.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
	assert.Contains(t, r.apiError(t)["message"], "fork")

	// A finished run has nothing due.
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	assert.Equal(t, http.StatusConflict, get(t, run+"/next").Status)
}
