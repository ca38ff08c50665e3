package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parityArgs is the Maelstrom command line the corpus runs with. Before
// this branch it exited 2 ("--nemesis-interval: 10s leaves no room").
func parityArgs(prog string, seed int) []string {
	return []string{"test", "-w", "g-counter", "--bin", filepath.Join("testdata", "parity", prog), "--node-count", "10",
		"--time-limit", "10", "--rate", "30", "--nemesis", "partition", "--seed", strconv.Itoa(seed)}
}

// TestParityCorpus runs our own programs for public Gossip Glomers
// patterns (testdata/parity, never public code) with a Maelstrom command
// line and compares terrarium test's verdict with Maelstrom's, derived
// from its source:
//
//   - the g-counter checker (src/maelstrom/workload/pn_counter.clj,
//     checker) fails a run when a completed final read is not the
//     acknowledged sum plus a subset of the indeterminate deltas; final
//     reads come after the heal and 10 s of recovery (core.clj,
//     maelstrom-test), one per client on its own node;
//   - seq-kv (service.clj, Sequential) serves an operation that leaves its
//     state equal from any state between the client's last and the newest,
//     and runs one that changes it on the newest.
func TestParityCorpus(t *testing.T) {
	for _, tc := range []struct {
		prog      string
		maelstrom string // Maelstrom's verdict, derived in the comment
	}{
		// CRDT counter on seq-kv: each add is written (the node's running
		// total under its own key) before add_ok; a read first writes a
		// fresh value, a change, which runs on the newest state and moves
		// the node there, so it sees every acknowledged total. The final
		// phase has no writes: every final read is the acknowledged sum
		// plus indeterminate deltas. Valid on every run.
		{"crdtcounter", "PASS"},
		// the same, writing each delta instead of the running total: a
		// node's later add overwrites its earlier ones, so once any node
		// has taken two non-zero adds (about thirty each here) every final
		// read falls short. Invalid on every practical run.
		{"crdtdelta", "FAIL"},
		// CAS retry loop on seq-kv: a cas that changes the counter runs on
		// the newest state and fails (22) when another add came first, so
		// no acknowledged delta is lost; reads are made fresh as
		// crdtcounter's. Valid on every run.
		{"cascounter", "PASS"},
		// read, then a blind write of value+delta: ten nodes adding to one
		// key, reading from possibly old states, overwrite one another's
		// adds; final reads fall short. Invalid on every practical run.
		{"casblind", "FAIL"},
	} {
		t.Run(tc.prog, func(t *testing.T) {
			code, out, errs := cli(t, parityArgs(tc.prog, 3)...)
			require.NotEqual(t, 2, code, "%s\n%s", out, errs)
			assert.True(t, strings.HasPrefix(lastLine(out), tc.maelstrom+" test -w g-counter"), "Maelstrom: %s; here:\n%s", tc.maelstrom, out)
		})
	}
}

// TestParityStaleCRDTFailsOnlySometimes: a CRDT counter on seq-kv that
// reads the other nodes' keys without first making a change (crdtstale),
// or after rewriting its own unchanged total (crdtresync, which upstream's
// seq-kv serves from whatever state it lands on, since the state stays
// equal), can miss a total written elsewhere after its node's last
// change. Under Maelstrom that depends on its random state choice: with
// one client per node, most runs pass and some fail. Here, with
// Maelstrom's state choice, both verdicts occur over six seeds. Before
// this branch crdtresync passed on every seed: its rewrite always ran on
// the newest state.
func TestParityStaleCRDTFailsOnlySometimes(t *testing.T) {
	for _, prog := range []string{"crdtstale", "crdtresync"} {
		t.Run(prog, func(t *testing.T) {
			seen := map[string]bool{}
			for seed := 1; seed <= 6; seed++ {
				code, out, errs := cli(t, parityArgs(prog, seed)...)
				require.NotEqual(t, 2, code, "%s\n%s", out, errs)
				seen[strings.Fields(lastLine(out))[0]] = true
			}
			assert.True(t, seen["PASS"], "no seed passed")
			assert.True(t, seen["FAIL"], "no seed failed")
		})
	}
}
