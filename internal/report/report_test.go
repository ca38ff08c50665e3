package report_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/report"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v), path)
}

// embedded returns the JSON text of <script id="ID" type="application/json">.
func embedded(t *testing.T, page, id string) string {
	t.Helper()
	open := `<script id="` + id + `" type="application/json">`
	i := strings.Index(page, open)
	require.GreaterOrEqual(t, i, 0, "no %s script", id)
	rest := page[i+len(open):]
	j := strings.Index(rest, "</script>")
	require.GreaterOrEqual(t, j, 0)
	return rest[:j]
}

type meta struct {
	Lanes  []string `json:"lanes"`
	Kinds  []string `json:"kinds"`
	Labels []string `json:"labels"`
	Count  int      `json:"count"`
	Marks  [][4]int `json:"marks"`
	Cut    string   `json:"cut"`
}

// Reference: the brief's stats.json (per type sent/delivered/dropped/
// duplicated, messages per op, latency percentiles, totals), checked
// against the runner's own counters on a real run.
func TestEchoRunStatsAgreeWithResults(t *testing.T) {
	ctx := context.Background()
	scn, err := runner.Load(filepath.Join("..", "..", "plugins", "echo", "scenario.yaml"), nil)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "run")
	res, err := runner.Execute(ctx, scn, runner.NewOptions().WithOutDir(dir).WithSeed(7))
	require.NoError(t, err)
	require.True(t, res.Valid)

	require.NoError(t, report.Write(dir))
	var st report.Stats
	readJSON(t, filepath.Join(dir, "stats.json"), &st)
	assert.Equal(t, res.Stats.Sent, st.Total.Sent)
	assert.Equal(t, res.Stats.Delivered, st.Total.Delivered)
	assert.Equal(t, res.Stats.Dropped, st.Total.Dropped)
	assert.Equal(t, res.Stats.Duplicated, st.Total.Duplicated)
	require.NotZero(t, st.Total.Sent)

	var sent, delivered uint64
	for _, ts := range st.Types {
		sent += ts.Sent
		delivered += ts.Delivered
	}
	assert.Equal(t, st.Total.Sent, sent)
	assert.Equal(t, st.Total.Delivered, delivered)
	require.Contains(t, st.Types, "echo")
	require.Contains(t, st.Types, "echo_ok")
	echo := st.Types["echo"]

	// Every echo request is one client operation.
	require.NotZero(t, st.Ops.Completed)
	assert.Equal(t, st.Ops.OK+st.Ops.Fail+st.Ops.Info, st.Ops.Completed)
	assert.Equal(t, st.Ops.Invoked, echo.Sent)
	require.NotNil(t, echo.PerOp)
	assert.InDelta(t, float64(echo.Sent)/float64(st.Ops.Completed), *echo.PerOp, 1e-9)
	require.NotNil(t, st.Total.PerOp)
	assert.InDelta(t, float64(st.Total.Sent)/float64(st.Ops.Completed), *st.Total.PerOp, 1e-9)

	// The scenario's latency is uniform in [1ms, 5ms].
	l := echo.Latency
	assert.Equal(t, echo.Delivered, l.Count)
	assert.GreaterOrEqual(t, l.Min, int64(time.Millisecond))
	assert.LessOrEqual(t, l.Max, int64(5*time.Millisecond))
	assert.True(t, l.Min <= l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max, "%+v", l)
	assert.InDelta(t, float64(3*time.Millisecond), float64(l.P50), float64(600*time.Microsecond))

	// The diagram holds every event; the summary names the run.
	page, err := os.ReadFile(filepath.Join(dir, "lamport.html"))
	require.NoError(t, err)
	var rows [][]any
	require.NoError(t, json.Unmarshal([]byte(embedded(t, string(page), "ev")), &rows))
	assert.Len(t, rows, int(res.Stats.Events))
	var m meta
	require.NoError(t, json.Unmarshal([]byte(embedded(t, string(page), "meta")), &m))
	assert.Equal(t, append(append([]string{}, res.Nodes...), res.Clients...), m.Lanes)

	sum, err := report.Summary(dir)
	require.NoError(t, err)
	assert.Contains(t, sum, "verdict   valid (PASS) · seed 7")
	assert.Contains(t, sum, res.TraceSHA256)
	assert.Regexp(t, `(?m)^  echo\s+valid\s+\d+ replies matched`, sum)
	assert.Regexp(t, `(?m)^  echo_ok\s+\d+\s+\d+\s+0\s+0\s+1\.00\s`, sum)
	assert.Contains(t, sum, "crashes   0")
	assert.Regexp(t, `(?m)^  n0\s+\|={50}\| up throughout$`, sum)
	assert.LessOrEqual(t, strings.Count(sum, "\n"), 45, "one screen:\n%s", sum)
}

func ms(n int64) int64 { return n * int64(time.Millisecond) }

// Reference: the brief's timeline.json: per node, intervals of up /
// crashed / paused / partitioned from crash, restart and fault events.
func TestTimelineCrashPausePartition(t *testing.T) {
	ev := func(at int64, k trace.Kind, node int32, label, data string) trace.Event {
		e := trace.Event{Time: ms(at), Kind: k, Node: node, Peer: -1, Label: label}
		if data != "" {
			e.Data = []byte(data)
		}
		return e
	}
	dir := runFolder(t, []string{"n0", "n1", "n2"}, []string{"c0"}, ms(100), []trace.Event{
		ev(0, trace.KindBoot, 0, "server", ""),
		ev(0, trace.KindBoot, 1, "server", ""),
		ev(0, trace.KindBoot, 2, "server", ""),
		ev(10, trace.KindCrash, 0, "", "nemesis kill"),
		ev(20, trace.KindRestart, 0, "server", ""),
		ev(30, trace.KindFault, -1, "pause", `{"action":"pause","node":"n1"}`),
		ev(40, trace.KindFault, -1, "partition", `{"action":"partition","groups":[["n0","n1"],["n2"]]}`),
		ev(50, trace.KindFault, -1, "resume", `{"action":"resume","node":"n1"}`),
		ev(60, trace.KindFault, -1, "repair", `{"action":"repair"}`),
		ev(70, trace.KindFault, -1, "partition_oneway", `{"action":"partition_oneway","from":["n2"],"to":["n0"]}`),
		ev(80, trace.KindCrash, 2, "", "trap"),
		ev(90, trace.KindFault, -1, "repair", `{"action":"repair"}`),
		ev(95, trace.KindFault, -1, "skew", `{"action":"skew","node":"n1","by":5000000}`),
	})
	require.NoError(t, report.Write(dir))
	var tl report.Timeline
	readJSON(t, filepath.Join(dir, "timeline.json"), &tl)
	assert.Equal(t, ms(100), tl.EndNS)
	iv := func(state string, a, b int64, to, from []string) report.Interval {
		return report.Interval{State: state, StartNS: ms(a), EndNS: ms(b), CutTo: to, CutFrom: from}
	}
	want := []report.NodeTimeline{
		{Node: "n0", Intervals: []report.Interval{
			iv("up", 0, 10, nil, nil),
			iv("crashed", 10, 20, nil, nil),
			iv("up", 20, 40, nil, nil),
			iv("partitioned", 40, 60, []string{"n2"}, []string{"n2"}),
			iv("up", 60, 70, nil, nil),
			iv("partitioned", 70, 90, nil, []string{"n2"}),
			iv("up", 90, 100, nil, nil),
		}},
		{Node: "n1", Intervals: []report.Interval{
			iv("up", 0, 30, nil, nil),
			iv("paused", 30, 50, nil, nil),
			iv("partitioned", 50, 60, []string{"n2"}, []string{"n2"}),
			iv("up", 60, 100, nil, nil),
		}},
		{Node: "n2", Intervals: []report.Interval{
			iv("up", 0, 40, nil, nil),
			iv("partitioned", 40, 60, []string{"n0", "n1"}, []string{"n0", "n1"}),
			iv("up", 60, 70, nil, nil),
			iv("partitioned", 70, 80, []string{"n0"}, nil),
			iv("crashed", 80, 100, nil, nil),
		}},
	}
	assert.Equal(t, want, tl.Nodes)

	// The diagram marks the same stretches on the lanes, by row.
	page, err := os.ReadFile(filepath.Join(dir, "lamport.html"))
	require.NoError(t, err)
	var m meta
	require.NoError(t, json.Unmarshal([]byte(embedded(t, string(page), "meta")), &m))
	assert.Contains(t, m.Marks, [4]int{0, 3, 4, 1}) // n0 crashed from row 3 to row 4
	assert.Contains(t, m.Marks, [4]int{1, 5, 7, 2}) // n1 paused
	assert.Contains(t, m.Marks, [4]int{2, 10, 12, 1})

	sum, err := report.Summary(dir)
	require.NoError(t, err)
	assert.Contains(t, sum, "crashes   2")
	assert.Regexp(t, `(?m)^  10ms\s+n0\s+nemesis kill\s+restarted at 20ms$`, sum)
	assert.Regexp(t, `(?m)^  80ms\s+n2\s+trap\s+not restarted$`, sum)
	assert.Contains(t, sum, "faults    7")
	assert.Regexp(t, `(?m)^  40ms\s+partition\s+\[n0 n1\] \| \[n2\]$`, sum)
	assert.Contains(t, sum, "  n0     |=====XXXXX==========//////////=====//////////=====| crashed ×1 (10ms) · partitioned ×2 (40ms)\n")
	assert.Contains(t, sum, "  n1     |===============PPPPPPPPPP/////====================| paused ×1 (20ms) · partitioned ×1 (10ms)\n")
	assert.Contains(t, sum, "  n2     |====================//////////=====/////XXXXXXXXXX| crashed ×1 (20ms) · partitioned ×2 (30ms)\n")
}

// Reference: ShiViz's log format: "host {clock}" then the event line, with
// vector clocks that follow the messages.
func TestShiVizVectorClocks(t *testing.T) {
	msg := func(at int64, k trace.Kind, node, peer int32, id uint64, typ string) trace.Event {
		e := trace.Event{Time: ms(at), Kind: k, Node: node, Peer: peer, Msg: id}
		if k == trace.KindSend {
			e.Label, e.Data = typ, []byte(`{"type":"`+typ+`"}`)
		}
		return e
	}
	dir := runFolder(t, []string{"n0", "n1", "n2"}, nil, ms(10), []trace.Event{
		msg(0, trace.KindSend, 0, 1, 1, "ping"),
		msg(1, trace.KindDeliver, 1, 0, 1, ""),
		msg(1, trace.KindSend, 1, 2, 2, "fwd"),
		msg(2, trace.KindSend, 2, 0, 3, "pong"), // concurrent with fwd: lost below
		msg(2, trace.KindDrop, 0, 2, 3, "loss"),
		msg(3, trace.KindDeliver, 2, 1, 2, ""),
		msg(3, trace.KindSend, 2, 0, 4, "pong"),
		{Time: ms(3), Kind: trace.KindWake, Node: 1, Peer: -1},
		msg(4, trace.KindDeliver, 0, 2, 4, ""),
	})
	require.NoError(t, report.Write(dir))
	b, err := os.ReadFile(filepath.Join(dir, "shiviz.log"))
	require.NoError(t, err)
	log := string(b)
	header, body, ok := strings.Cut(log, "\n\n")
	require.True(t, ok)
	assert.Contains(t, header, report.ShiVizRegex)
	assert.Equal(t, `n0 {"n0":1}
0s send ping to n1 (msg 1) {"type":"ping"}
n1 {"n1":1,"n0":1}
1ms deliver ping from n0 (msg 1)
n1 {"n1":2,"n0":1}
1ms send fwd to n2 (msg 2) {"type":"fwd"}
n2 {"n2":1}
2ms send pong to n0 (msg 3) {"type":"pong"}
n2 {"n2":2,"n0":1,"n1":2}
3ms deliver fwd from n1 (msg 2)
n2 {"n2":3,"n0":1,"n1":2}
3ms send pong to n0 (msg 4) {"type":"pong"}
n0 {"n0":2,"n1":2,"n2":3}
4ms deliver pong from n2 (msg 4)
`, body)

	// ShiViz's parser RegExp (Go reads the same syntax) finds exactly these
	// seven events in the whole file, header included.
	re := regexp.MustCompile(report.ShiVizRegex)
	ms := re.FindAllStringSubmatch(log, -1)
	require.Len(t, ms, 7)
	assert.Equal(t, "n0", ms[0][re.SubexpIndex("host")])
	assert.Equal(t, `{"n0":1}`, ms[0][re.SubexpIndex("clock")])
	assert.Equal(t, "4ms deliver pong from n2 (msg 4)", ms[6][re.SubexpIndex("event")])
}

// Reference: stats.json counts on a crafted trace, including duplicates,
// drops of either kind, and exact small latencies.
func TestStatsCrafted(t *testing.T) {
	e := func(at int64, k trace.Kind, node, peer int32, id uint64, label string) trace.Event {
		return trace.Event{Time: at, Kind: k, Node: node, Peer: peer, Msg: id, Label: label}
	}
	op := func(at int64, k trace.Kind) trace.Event {
		return trace.Event{Time: at, Kind: k, Node: 2, Peer: -1, Label: "write"}
	}
	dir := runFolder(t, []string{"n0", "n1"}, []string{"c0"}, 1000, []trace.Event{
		op(0, trace.KindInvoke),
		e(0, trace.KindSend, 2, 0, 1, "write"),
		e(100, trace.KindDeliver, 0, 2, 1, ""),
		e(100, trace.KindSend, 0, 1, 2, "copy"),
		e(100, trace.KindDuplicate, 0, 1, 2, "copy"),
		e(300, trace.KindDeliver, 1, 0, 2, ""),
		e(400, trace.KindDeliver, 1, 0, 2, ""),
		e(400, trace.KindSend, 0, 2, 3, "write_ok"),
		e(400, trace.KindDrop, 2, 0, 3, "loss"),
		op(500, trace.KindInfo),
		op(500, trace.KindInvoke),
		e(500, trace.KindSend, 2, 0, 4, "write"),
		e(500, trace.KindDrop, 0, 2, 4, "partition"),
		op(900, trace.KindFail),
		e(900, trace.KindSend, 1, 0, 5, ""),
	})
	require.NoError(t, report.Write(dir))
	var st report.Stats
	readJSON(t, filepath.Join(dir, "stats.json"), &st)
	f := func(v float64) *float64 { return &v }
	assert.Equal(t, report.TypeStats{Sent: 2, Delivered: 1, Dropped: 1, PerOp: f(1),
		Latency: report.Latency{Count: 1, Min: 100, P50: 100, P95: 100, P99: 100, Max: 100}}, st.Types["write"])
	assert.Equal(t, report.TypeStats{Sent: 1, Delivered: 2, Duplicated: 1, PerOp: f(0.5),
		Latency: report.Latency{Count: 2, Min: 200, P50: 200, P95: 300, P99: 300, Max: 300}}, st.Types["copy"])
	assert.Equal(t, report.TypeStats{Sent: 1, Dropped: 1, PerOp: f(0.5)}, st.Types["write_ok"])
	assert.Equal(t, report.TypeStats{Sent: 1, PerOp: f(0.5)}, st.Types["(none)"])
	assert.Equal(t, report.TypeStats{Sent: 5, Delivered: 3, Dropped: 2, Duplicated: 1, PerOp: f(2.5),
		Latency: report.Latency{Count: 3, Min: 100, P50: 200, P95: 300, P99: 300, Max: 300}}, st.Total)
	assert.Equal(t, report.OpStats{Invoked: 2, Fail: 1, Info: 1, Completed: 2,
		ByF: map[string]report.OpCounts{"write": {Invoked: 2, Fail: 1, Info: 1}}}, st.Ops)
	assert.Equal(t, map[string]uint64{"loss": 1, "partition": 1}, st.DropReasons)
}

func TestNotARunFolder(t *testing.T) {
	dir := t.TempDir()
	err := report.Write(dir)
	require.ErrorIs(t, err, runfolder.ErrNotRunFolder)
	assert.Contains(t, err.Error(), "results.json")
	_, err = report.Summary(filepath.Join(dir, "nope"))
	require.ErrorIs(t, err, runfolder.ErrNotRunFolder)

	writeResults(t, dir, []string{"n0"}, nil, 0)
	_, err = report.Summary(dir)
	require.ErrorIs(t, err, runfolder.ErrNotRunFolder)
	assert.Contains(t, err.Error(), "trace.jsonl")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "trace.jsonl"), []byte("{\"seq\":1,\"kind\":\"boot\"}\nnot json\n"), 0o644))
	err = report.Write(dir)
	require.ErrorIs(t, err, runfolder.ErrNotRunFolder)
	assert.Contains(t, err.Error(), "trace.jsonl:2")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp", "a failed Write leaves no temporary file")
	}
}

// Reference: the brief's lamport.html: one self-contained file holding every
// event, usable at 100k+ events, with no external reference.
func TestLamportHundredThousandEvents(t *testing.T) {
	const n = 100_000
	dir := t.TempDir()
	want := synthTrace(t, dir, n)
	require.NoError(t, report.Write(dir)) // its speed is BenchmarkWrite100k's to measure, not a test's
	st, err := os.Stat(filepath.Join(dir, "lamport.html"))
	require.NoError(t, err)
	t.Logf("lamport.html for %d events is %.1f MiB", n, float64(st.Size())/(1<<20))

	b, err := os.ReadFile(filepath.Join(dir, "lamport.html"))
	require.NoError(t, err)
	page := string(b)
	for _, bad := range []string{"http://", "https://", "<link", " src=", "@import", "url("} {
		assert.NotContains(t, page, bad)
	}
	assert.Equal(t, 3, strings.Count(page, "</script>"), "data never closes a script element")

	var m meta
	require.NoError(t, json.Unmarshal([]byte(embedded(t, page, "meta")), &m))
	assert.Equal(t, n, m.Count)
	assert.Equal(t, []string{"n0", "n1", "n2", "n3", "n4", "c0", "c1"}, m.Lanes)
	var rows [][]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(embedded(t, page, "ev")), &rows))
	require.Len(t, rows, n)

	kind := map[string]int{}
	for i, k := range m.Kinds {
		kind[k] = i
	}
	var t0 int64
	counts := map[int]int{}
	sendMsg := map[int]uint64{}
	for i, r := range rows {
		require.True(t, len(r) >= 3 && len(r) <= 8, "row %d: %d fields", i, len(r))
		var k, node int
		var dt int64
		require.NoError(t, json.Unmarshal(r[0], &k))
		require.NoError(t, json.Unmarshal(r[1], &node))
		require.NoError(t, json.Unmarshal(r[2], &dt))
		require.GreaterOrEqual(t, dt, int64(0))
		t0 += dt
		counts[k]++
		require.True(t, node >= -1 && node < len(m.Lanes))
		if k == kind["send"] {
			var id uint64
			require.NoError(t, json.Unmarshal(r[5], &id))
			sendMsg[i] = id
			var data map[string]any
			require.NoError(t, json.Unmarshal(r[7], &data), "a send carries its message")
			assert.Equal(t, "</script><b>&", data["body"].(map[string]any)["note"])
		}
		if k == kind["deliver"] || k == kind["drop"] {
			var id uint64
			var link int
			require.NoError(t, json.Unmarshal(r[5], &id))
			require.NoError(t, json.Unmarshal(r[6], &link))
			sent, ok := sendMsg[link]
			require.True(t, ok, "row %d links to a send", i)
			require.Equal(t, sent, id, "row %d links to its own send", i)
		}
	}
	assert.Equal(t, want.lastT, t0, "the time deltas add up")
	assert.Equal(t, want.sent, counts[kind["send"]])
	assert.Equal(t, want.delivered, counts[kind["deliver"]])
	assert.Equal(t, want.dropped, counts[kind["drop"]])
	assert.Equal(t, want.duplicated, counts[kind["duplicate"]])

	var stats report.Stats
	readJSON(t, filepath.Join(dir, "stats.json"), &stats)
	assert.Equal(t, uint64(want.sent), stats.Total.Sent)
	assert.Equal(t, uint64(want.delivered), stats.Total.Delivered)
}

func BenchmarkWrite100k(b *testing.B) {
	dir := b.TempDir()
	synthTrace(b, dir, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if err := report.Write(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// A trace written by another encoder may carry "</script>" or a URL
// verbatim: the page must still hold it as data only.
func TestLamportEscapesHostileData(t *testing.T) {
	dir := t.TempDir()
	writeResults(t, dir, []string{"n0", "n1"}, nil, 10)
	lines := `{"seq":1,"t":0,"kind":"send","node":0,"peer":1,"msg":1,"label":"x","data":{"s":"</script><script>alert(1)</script>","u":"https://example.com/a\/b","l":"a\u2028b"}}
{"seq":2,"t":5,"kind":"deliver","node":1,"peer":0,"msg":1}
{"seq":3,"t":6,"kind":"log","node":1,"peer":-1,"label":"info","text":"</SCRIPT> & <!-- http://x"}
{"seq":4,"t":7,"kind":"emit","node":1,"peer":-1,"label":"</script>","b64":"AAEC"}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "trace.jsonl"), []byte(lines), 0o644))
	require.NoError(t, report.Write(dir))
	b, err := os.ReadFile(filepath.Join(dir, "lamport.html"))
	require.NoError(t, err)
	page := string(b)
	assert.Equal(t, 3, strings.Count(strings.ToLower(page), "</script"))
	assert.NotContains(t, page, "<!--")
	assert.NotContains(t, page, "http://")
	assert.NotContains(t, page, "https://")

	var rows [][]any
	require.NoError(t, json.Unmarshal([]byte(embedded(t, page, "ev")), &rows))
	require.Len(t, rows, 4)
	assert.Equal(t, map[string]any{"s": "</script><script>alert(1)</script>", "u": "https://example.com/a/b", "l": "a\u2028b"}, rows[0][7])
	assert.Equal(t, "</SCRIPT> & <!-- http://x", rows[2][7])
	assert.Equal(t, map[string]any{"b64": "AAEC"}, rows[3][7])
	var m meta
	require.NoError(t, json.Unmarshal([]byte(embedded(t, page, "meta")), &m))
	assert.Equal(t, "</script>", m.Labels[int(rows[3][4].(float64))])
}
