package report

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/fault"
)

// Stats is the content of stats.json.
type Stats struct {
	// Types maps each message type (the body's "type"; "(none)" when a
	// message has none, "(unknown)" for deliveries of unseen sends) to its
	// numbers.
	Types map[string]TypeStats `json:"types"`
	Total TypeStats            `json:"total"`
	Ops   OpStats              `json:"ops"`
	// DropReasons counts dropped messages by reason (loss, partition, ...).
	DropReasons map[string]uint64 `json:"drop_reasons"`
	// Cut says what the file leaves out to stay within its bound
	// (FileBound).
	Cut string `json:"cut,omitempty"`
}

// TypeStats counts one message type's fate.
type TypeStats struct {
	Sent       uint64 `json:"sent"`
	Delivered  uint64 `json:"delivered"`
	Dropped    uint64 `json:"dropped"`
	Duplicated uint64 `json:"duplicated"`
	// PerOp is Sent divided by the completed client operations (absent
	// when no operation completed).
	PerOp   *float64 `json:"per_op,omitempty"`
	Latency Latency  `json:"latency_ns"`
}

// Latency summarises delivery latencies (deliver time - send time) in ns.
// Percentiles are nearest-rank over a log-linear histogram: exact below
// 512 ns, within 0.4% above, and never outside [Min, Max].
type Latency struct {
	Count uint64 `json:"count"`
	Min   int64  `json:"min"`
	P50   int64  `json:"p50"`
	P95   int64  `json:"p95"`
	P99   int64  `json:"p99"`
	Max   int64  `json:"max"`
}

// OpStats counts client operations from the trace's invoke/ok/fail/info
// events. Completed is OK + Fail + Info (every operation that ended).
type OpStats struct {
	Invoked   uint64              `json:"invoked"`
	OK        uint64              `json:"ok"`
	Fail      uint64              `json:"fail"`
	Info      uint64              `json:"info"`
	Completed uint64              `json:"completed"`
	ByF       map[string]OpCounts `json:"by_f,omitempty"`
}

// OpCounts counts one operation function's history entries.
type OpCounts struct {
	Invoked uint64 `json:"invoked"`
	OK      uint64 `json:"ok"`
	Fail    uint64 `json:"fail"`
	Info    uint64 `json:"info"`
}

// Timeline is the content of timeline.json.
type Timeline struct {
	EndNS int64          `json:"end_ns"`
	Nodes []NodeTimeline `json:"nodes"`
	// Cut says what the file leaves out to stay within its bound.
	Cut string `json:"cut,omitempty"`
}

// NodeTimeline is one node's states, back to back from 0 to EndNS.
type NodeTimeline struct {
	Node      string     `json:"node"`
	Intervals []Interval `json:"intervals"`
}

// Interval is a stretch of virtual time [StartNS, EndNS) in one state. A
// crashed node is "crashed" even if also paused or cut off; a paused one is
// "paused" even if cut off; "partitioned" means some link to (CutFrom) or
// from (CutTo) the node is cut. Zero-length stretches are left out.
type Interval struct {
	State   string   `json:"state"`
	StartNS int64    `json:"start_ns"`
	EndNS   int64    `json:"end_ns"`
	CutTo   []string `json:"cut_to,omitempty"`
	CutFrom []string `json:"cut_from,omitempty"`
}

// Node states, in the order of their precedence codes.
const (
	stUp = iota
	stCrashed
	stPaused
	stPartitioned
)

var stateNames = []string{"up", "crashed", "paused", "partitioned"}

// hist is a log-linear histogram of non-negative values.
type hist struct {
	counts   []uint64
	n        uint64
	min, max int64
}

func bucketOf(v uint64) int {
	if v < 512 {
		return int(v)
	}
	shift := bits.Len64(v) - 9
	return shift*256 + int(v>>uint(shift))
}

func bucketHigh(b int) uint64 {
	if b < 512 {
		return uint64(b)
	}
	shift := b/256 - 1
	mant := uint64(b - shift*256)
	return (mant+1)<<uint(shift) - 1
}

func (h *hist) add(v int64) {
	if v < 0 {
		v = 0
	}
	b := bucketOf(uint64(v))
	if b >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, b+1-len(h.counts))...)
	}
	h.counts[b]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
}

func (h *hist) percentile(p float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(p * float64(h.n) / 100)
	if float64(rank) < p*float64(h.n)/100 {
		rank++
	}
	rank = max(rank, 1)
	var cum uint64
	for b, c := range h.counts {
		cum += c
		if cum >= rank {
			return min(max(int64(bucketHigh(b)), h.min), h.max)
		}
	}
	return h.max
}

func (h *hist) latency() Latency {
	return Latency{Count: h.n, Min: h.min, P50: h.percentile(50), P95: h.percentile(95), P99: h.percentile(99), Max: h.max}
}

type typeAgg struct {
	name                                 string
	sent, delivered, dropped, duplicated uint64
	lat                                  hist
}

func (t *typeAgg) stats(completed uint64) TypeStats {
	s := TypeStats{Sent: t.sent, Delivered: t.delivered, Dropped: t.dropped, Duplicated: t.duplicated, Latency: t.lat.latency()}
	if completed > 0 {
		v := float64(t.sent) / float64(completed)
		s.PerOp = &v
	}
	return s
}

// flight is a message sent and not yet fully accounted for: pending counts
// the deliveries or drops still to come (one, plus one per duplicate).
type flight struct {
	typ     *typeAgg
	sendT   int64
	row     int
	pending int32
	vc      []uint32
}

type crashRec struct {
	t       int64
	node    int32
	reason  string
	restart int64 // -1: not restarted
}

type faultRec struct {
	t      int64
	label  string
	detail string
}

type interval struct {
	state            int
	start, end       int64
	startRow, endRow int
	cutTo, cutFrom   []int32
}

type nodeTL struct {
	crashed, paused bool
	cutTo, cutFrom  []int32
	cur             interval
	done            []interval
}

// maxListed bounds the crashes and faults a pass keeps for the summary.
const maxListed = 1000

// pass is one read of the trace: it aggregates stats, timeline, crashes and
// faults, and feeds the optional writers.
type pass struct {
	res    *results
	kinds  *kindTable
	lanes  []string
	nNodes int
	byName map[string]int32

	types       map[string]*typeAgg
	total       typeAgg
	inflight    map[uint64]*flight
	ops         OpStats
	dropReasons map[string]uint64

	tl        []*nodeTL
	cuts      map[[2]int32]struct{}
	openCrash map[int32]int

	crashes        []crashRec
	nCrashes       int
	faults         []faultRec
	nFaults        int
	rows           int
	firstSeq       uint64
	lastT          int64
	contiguousSeqs bool

	lam *lamportWriter
	shv *shivizWriter
}

func newPass(res *results) *pass {
	p := &pass{res: res, kinds: newKindTable(), byName: map[string]int32{}, types: map[string]*typeAgg{},
		inflight: map[uint64]*flight{}, dropReasons: map[string]uint64{}, cuts: map[[2]int32]struct{}{},
		openCrash: map[int32]int{}, contiguousSeqs: true}
	p.ops.ByF = map[string]OpCounts{}
	p.lanes = append(append([]string(nil), res.Nodes...), res.Clients...)
	p.nNodes = len(res.Nodes)
	for i, n := range p.lanes {
		p.byName[n] = int32(i)
	}
	for range p.nNodes {
		p.tl = append(p.tl, &nodeTL{})
	}
	return p
}

// lane makes sure lane i has a name ("#i" for indices results.json does
// not name) and reports whether i is a lane at all.
func (p *pass) lane(i int32) bool {
	if i < 0 {
		return false
	}
	for int(i) >= len(p.lanes) {
		n := fmt.Sprintf("#%d", len(p.lanes))
		p.byName[n] = int32(len(p.lanes))
		p.lanes = append(p.lanes, n)
	}
	return true
}

func (p *pass) typ(name string) *typeAgg {
	if name == "" {
		name = "(none)"
	}
	t := p.types[name]
	if t == nil {
		t = &typeAgg{name: name}
		p.types[name] = t
	}
	return t
}

func (p *pass) event(e *event) error {
	row := p.rows
	p.rows++
	if row == 0 {
		p.firstSeq = e.Seq
	} else if e.Seq != p.firstSeq+uint64(row) {
		p.contiguousSeqs = false
	}
	p.lastT = max(p.lastT, e.T)
	p.lane(e.Node)
	p.lane(e.Peer)
	link := -1
	var fl *flight
	switch e.kind {
	case kSend:
		t := p.typ(e.Label)
		t.sent++
		p.total.sent++
		fl = &flight{typ: t, sendT: e.T, row: row, pending: 1}
		p.inflight[e.Msg] = fl
	case kDuplicate:
		var t *typeAgg
		if fl = p.inflight[e.Msg]; fl != nil {
			fl.pending++
			link, t = fl.row, fl.typ
		} else {
			t = p.typ(e.Label)
		}
		t.duplicated++
		p.total.duplicated++
	case kDeliver, kDrop:
		t := p.types["(unknown)"]
		if fl = p.inflight[e.Msg]; fl != nil {
			link, t = fl.row, fl.typ
		} else if t == nil {
			t = p.typ("(unknown)")
		}
		if e.kind == kDeliver {
			t.delivered++
			p.total.delivered++
			if fl != nil {
				t.lat.add(e.T - fl.sendT)
				p.total.lat.add(e.T - fl.sendT)
			}
		} else {
			t.dropped++
			p.total.dropped++
			p.dropReasons[e.Label]++
		}
	case kInvoke, kOK, kFail, kInfo:
		c := p.ops.ByF[e.Label]
		switch e.kind {
		case kInvoke:
			p.ops.Invoked++
			c.Invoked++
		case kOK:
			p.ops.OK++
			c.OK++
		case kFail:
			p.ops.Fail++
			c.Fail++
		case kInfo:
			p.ops.Info++
			c.Info++
		}
		p.ops.ByF[e.Label] = c
	case kCrash:
		p.nCrashes++
		if len(p.crashes) < maxListed {
			p.crashes = append(p.crashes, crashRec{t: e.T, node: e.Node, reason: e.text(), restart: -1})
			p.openCrash[e.Node] = len(p.crashes) - 1
		}
		if n := p.node(e.Node); n != nil {
			n.crashed, n.paused = true, false
			p.update(e.Node, e.T, row)
		}
	case kBoot, kRestart:
		if i, ok := p.openCrash[e.Node]; ok {
			p.crashes[i].restart = e.T
			delete(p.openCrash, e.Node)
		}
		if n := p.node(e.Node); n != nil && n.crashed {
			n.crashed = false
			p.update(e.Node, e.T, row)
		}
	case kFault:
		p.nFaults++
		f, err := fault.Decode(e.raw())
		detail := strings.TrimSpace(strings.TrimPrefix(f.String(), string(f.Kind)))
		if err != nil { // not a fault this version knows: list it, change no state
			detail = e.text()
		}
		if len(p.faults) < maxListed {
			p.faults = append(p.faults, faultRec{t: e.T, label: e.Label, detail: detail})
		}
		if err == nil {
			p.fault(f, e.T, row)
		}
	}
	if p.lam != nil {
		if err := p.lam.row(p, e, row, link); err != nil {
			return err
		}
	}
	if p.shv != nil {
		if err := p.shv.event(p, e, fl); err != nil {
			return err
		}
	}
	if (e.kind == kDeliver || e.kind == kDrop) && fl != nil {
		if fl.pending--; fl.pending <= 0 {
			delete(p.inflight, e.Msg)
		}
	}
	return nil
}

func (p *pass) node(i int32) *nodeTL {
	if i < 0 || int(i) >= len(p.tl) {
		return nil
	}
	return p.tl[i]
}

// fault applies a fault event to the node states.
func (p *pass) fault(f fault.Fault, t int64, row int) {
	switch f.Kind {
	case fault.Pause, fault.Resume:
		i, ok := p.byName[f.Node]
		if n := p.node(i); ok && n != nil && !n.crashed {
			n.paused = f.Kind == fault.Pause
			p.update(i, t, row)
		}
	case fault.Partition, fault.PartitionOneWay:
		sides := f.Groups
		if f.Kind == fault.PartitionOneWay {
			sides = [][]string{f.From, f.To}
		}
		for i := range sides {
			for j := i + 1; j < len(sides); j++ {
				for _, x := range p.laneIndices(sides[i]) {
					for _, y := range p.laneIndices(sides[j]) {
						if x != y {
							p.cuts[[2]int32{x, y}] = struct{}{}
							if f.Kind == fault.Partition {
								p.cuts[[2]int32{y, x}] = struct{}{}
							}
						}
					}
				}
			}
		}
		p.recut(t, row)
	case fault.Repair:
		clear(p.cuts)
		p.recut(t, row)
	}
}

// laneIndices maps node names to lane indices, skipping unknown names.
func (p *pass) laneIndices(names []string) []int32 {
	var out []int32
	for _, n := range names {
		if i, ok := p.byName[n]; ok {
			out = append(out, i)
		}
	}
	return out
}

// recut recomputes every node's cut links after a partition change.
func (p *pass) recut(t int64, row int) {
	to := make([][]int32, len(p.tl))
	from := make([][]int32, len(p.tl))
	for c := range p.cuts {
		if int(c[0]) < len(p.tl) {
			to[c[0]] = append(to[c[0]], c[1])
		}
		if int(c[1]) < len(p.tl) {
			from[c[1]] = append(from[c[1]], c[0])
		}
	}
	for i, n := range p.tl {
		sortLanes(to[i])
		sortLanes(from[i])
		n.cutTo, n.cutFrom = to[i], from[i]
		p.update(int32(i), t, row)
	}
}

func sortLanes(l []int32) { sort.Slice(l, func(i, j int) bool { return l[i] < l[j] }) }

// update closes node i's open interval at (t, row) and opens another if its
// state changed.
func (p *pass) update(i int32, t int64, row int) {
	n := p.tl[i]
	next := interval{state: stUp, start: t, startRow: row}
	switch {
	case n.crashed:
		next.state = stCrashed
	case n.paused:
		next.state = stPaused
	case len(n.cutTo)+len(n.cutFrom) > 0:
		next.state = stPartitioned
		next.cutTo, next.cutFrom = n.cutTo, n.cutFrom
	}
	c := &n.cur
	if c.state == next.state && equalLanes(c.cutTo, next.cutTo) && equalLanes(c.cutFrom, next.cutFrom) {
		return
	}
	c.end, c.endRow = t, row
	n.done = append(n.done, *c)
	n.cur = next
}

func equalLanes(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// endTime is the end of the run: the results' virtual time, or the last
// event's if later.
func (p *pass) endTime() int64 { return max(int64(p.res.Stats.Virtual), p.lastT) }

// intervals returns node i's intervals, the open one closed at the end.
func (p *pass) intervals(i int) []interval {
	n := p.tl[i]
	out := append([]interval(nil), n.done...)
	last := n.cur
	last.end, last.endRow = p.endTime(), max(p.rows-1, last.startRow)
	return append(out, last)
}

func (p *pass) names(l []int32) []string {
	if len(l) == 0 {
		return nil
	}
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = p.lanes[x]
	}
	return out
}

func (p *pass) timeline() Timeline {
	tl := Timeline{EndNS: p.endTime(), Nodes: []NodeTimeline{}}
	for i := range p.tl {
		nt := NodeTimeline{Node: p.lanes[i], Intervals: []Interval{}}
		for _, iv := range p.intervals(i) {
			if iv.end <= iv.start {
				continue
			}
			out := Interval{State: stateNames[iv.state], StartNS: iv.start, EndNS: iv.end, CutTo: p.names(iv.cutTo), CutFrom: p.names(iv.cutFrom)}
			if k := len(nt.Intervals) - 1; k >= 0 && sameInterval(nt.Intervals[k], out) {
				nt.Intervals[k].EndNS = out.EndNS
				continue
			}
			nt.Intervals = append(nt.Intervals, out)
		}
		tl.Nodes = append(tl.Nodes, nt)
	}
	return tl
}

func sameInterval(a, b Interval) bool {
	return a.State == b.State && strings.Join(a.CutTo, " ") == strings.Join(b.CutTo, " ") &&
		strings.Join(a.CutFrom, " ") == strings.Join(b.CutFrom, " ") && a.EndNS == b.StartNS
}

func (p *pass) stats() Stats {
	p.ops.Completed = p.ops.OK + p.ops.Fail + p.ops.Info
	s := Stats{Types: map[string]TypeStats{}, Total: p.total.stats(p.ops.Completed), Ops: p.ops, DropReasons: p.dropReasons}
	for n, t := range p.types {
		s.Types[n] = t.stats(p.ops.Completed)
	}
	if len(s.Ops.ByF) == 0 {
		s.Ops.ByF = nil
	}
	return s
}

// sortedTypes returns the message types, most sent first.
func (p *pass) sortedTypes() []*typeAgg {
	out := make([]*typeAgg, 0, len(p.types))
	for _, t := range p.types {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].sent != out[j].sent {
			return out[i].sent > out[j].sent
		}
		return out[i].name < out[j].name
	})
	return out
}
