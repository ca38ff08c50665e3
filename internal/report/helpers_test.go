package report_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// runFolder writes a synthetic run folder: results.json naming the lanes,
// trace.jsonl from evs (sequence numbers assigned here) and an empty
// history.jsonl.
func runFolder(t testing.TB, nodes, clients []string, virtual int64, evs []trace.Event) string {
	t.Helper()
	dir := t.TempDir()
	writeResults(t, dir, nodes, clients, virtual)
	f, err := os.Create(filepath.Join(dir, "trace.jsonl"))
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	for i, e := range evs {
		e.Seq = uint64(i + 1)
		b, err := json.Marshal(e)
		require.NoError(t, err)
		w.Write(append(b, '\n'))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return dir
}

func writeResults(t testing.TB, dir string, nodes, clients []string, virtual int64) {
	t.Helper()
	res := map[string]any{
		"scenario": "synthetic.yaml", "name": "synthetic", "seed": 42, "valid": true, "verdict": "valid",
		"trace_sha256": "ab12", "reproducible": true,
		"checks": map[string]any{"echo": map[string]any{"verdict": "valid", "summary": "all good"}},
		"stats":  map[string]any{"virtual_ns": virtual},
		"nodes":  nodes, "clients": clients,
	}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "history.jsonl"), nil, 0o644))
}

// synthCounts are what synthTrace generated, to check a report against.
type synthCounts struct {
	events, sent, delivered, dropped, duplicated int
	lastT                                        int64
}

// synthTrace writes n events of a busy cluster (5 nodes, 2 clients:
// requests and replies, gossip with losses and duplicates, timers, logs,
// emits, a partition, a pause and a crash every 10,000 events) straight to
// dir/trace.jsonl, without holding them.
func synthTrace(t testing.TB, dir string, n int) synthCounts {
	t.Helper()
	nodes := []string{"n0", "n1", "n2", "n3", "n4"}
	writeResults(t, dir, nodes, []string{"c0", "c1"}, 0)
	f, err := os.Create(filepath.Join(dir, "trace.jsonl"))
	require.NoError(t, err)
	w := bufio.NewWriterSize(f, 1<<20)
	var c synthCounts
	var now int64
	var msg uint64
	emit := func(e trace.Event) bool {
		if c.events == n {
			return false
		}
		c.events++
		e.Seq, e.Time = uint64(c.events), now
		if e.Peer == 0 && e.Kind != trace.KindSend && e.Kind != trace.KindDeliver && e.Kind != trace.KindDrop && e.Kind != trace.KindDuplicate {
			e.Peer = -1
		}
		switch e.Kind {
		case trace.KindSend:
			c.sent++
		case trace.KindDeliver:
			c.delivered++
		case trace.KindDrop:
			c.dropped++
		case trace.KindDuplicate:
			c.duplicated++
		}
		b, err := json.Marshal(e)
		require.NoError(t, err)
		w.Write(append(b, '\n'))
		c.lastT = now
		return true
	}
	body := func(typ string, i int) []byte {
		return []byte(fmt.Sprintf(`{"src":"x","dest":"y","body":{"type":%q,"msg_id":%d,"note":"</script><b>&"}}`, typ, i))
	}
	for i := 0; c.events < n; i++ {
		node, cl := int32(i%5), int32(5+i%2)
		now += 1000
		emit(trace.Event{Kind: trace.KindInvoke, Node: cl, Label: "echo", Data: []byte(fmt.Sprint(i))})
		msg++
		req := msg
		emit(trace.Event{Kind: trace.KindSend, Node: cl, Peer: node, Msg: req, Label: "echo", Data: body("echo", i)})
		now += 2500
		emit(trace.Event{Kind: trace.KindDeliver, Node: node, Peer: cl, Msg: req})
		msg++
		emit(trace.Event{Kind: trace.KindSend, Node: node, Peer: cl, Msg: msg, Label: "echo_ok", Data: body("echo_ok", i)})
		now += 1500
		emit(trace.Event{Kind: trace.KindDeliver, Node: cl, Peer: node, Msg: msg})
		emit(trace.Event{Kind: trace.KindOK, Node: cl, Label: "echo", Data: []byte(fmt.Sprint(i))})
		// gossip to the next node: lost every 7th time, duplicated every 11th
		msg++
		to := (node + 1) % 5
		emit(trace.Event{Kind: trace.KindTimerFire, Node: node, Label: fmt.Sprint(i)})
		emit(trace.Event{Kind: trace.KindSend, Node: node, Peer: to, Msg: msg, Label: "gossip", Data: body("gossip", i)})
		switch {
		case i%7 == 0:
			emit(trace.Event{Kind: trace.KindDrop, Node: to, Peer: node, Msg: msg, Label: "loss"})
		case i%11 == 0:
			emit(trace.Event{Kind: trace.KindDuplicate, Node: node, Peer: to, Msg: msg, Label: "gossip"})
			now += 700
			emit(trace.Event{Kind: trace.KindDeliver, Node: to, Peer: node, Msg: msg})
			now += 300
			emit(trace.Event{Kind: trace.KindDeliver, Node: to, Peer: node, Msg: msg})
		default:
			now += 900
			emit(trace.Event{Kind: trace.KindDeliver, Node: to, Peer: node, Msg: msg})
		}
		if i%13 == 0 {
			emit(trace.Event{Kind: trace.KindLog, Node: node, Label: "info", Data: []byte("line with </script> and https://example.com")})
			emit(trace.Event{Kind: trace.KindEmit, Node: node, Label: "decide", Data: []byte(`{"txn":1,"url":"http://x/y"}`)})
		}
		switch i % 10000 {
		case 100:
			emit(trace.Event{Kind: trace.KindFault, Node: -1, Label: "partition", Data: []byte(`{"action":"partition","groups":[["n0","n1"],["n2","n3","n4"]]}`)})
		case 300:
			emit(trace.Event{Kind: trace.KindFault, Node: -1, Label: "repair", Data: []byte(`{"action":"repair"}`)})
		case 500:
			emit(trace.Event{Kind: trace.KindCrash, Node: 3, Data: []byte("nemesis kill")})
		case 700:
			emit(trace.Event{Kind: trace.KindRestart, Node: 3, Label: "server"})
		case 800:
			emit(trace.Event{Kind: trace.KindFault, Node: -1, Label: "pause", Data: []byte(`{"action":"pause","node":"n4"}`)})
		case 900:
			emit(trace.Event{Kind: trace.KindFault, Node: -1, Label: "resume", Data: []byte(`{"action":"resume","node":"n4"}`)})
		}
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return c
}
