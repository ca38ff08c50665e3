package explore

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// MaxGraphPoints bounds the choice points a Graph records along its path.
const MaxGraphPoints = 400

// Graph is the state graph around one run: its states as nodes (by state
// hash, sim.Sim.StateHash), its choices as edges, and, at the last
// branching points, the options the run did not take, each followed by
// one run to the state it leads to. Stateright's explorer shows a state
// with the actions it enables (src/checker/explorer.rs); this is that
// view around a failing path.
type Graph struct {
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
	// Decisions are the run's non-default decisions, in order, each with
	// the trace event it dispatched.
	Decisions []GraphDecision `json:"decisions"`
	// Verdict is the run's.
	Verdict string `json:"verdict"`
}

// GraphNode is one state.
type GraphNode struct {
	// ID is the state hash, hex (the end of a run: "end:" and its digest).
	ID string `json:"id"`
	// Seq is the trace events recorded when the state was reached.
	Seq uint64 `json:"seq"`
	// Path says the state is on the run's path; End that it is a run's
	// end, Failing that the run ending there failed.
	Path    bool `json:"path"`
	End     bool `json:"end,omitempty"`
	Failing bool `json:"failing,omitempty"`
}

// GraphEdge is one choice: from a state, the option taken, to the state
// at the next choice point (or the run's end).
type GraphEdge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label"`
	// Decision is the option as a schedule: line ("" for the default).
	Decision string `json:"decision,omitempty"`
	// Path says the run took it.
	Path bool `json:"path"`
}

// GraphDecision is one non-default decision of the run.
type GraphDecision struct {
	Decision string `json:"decision"`
	Label    string `json:"label"`
	// Seq is the trace event the decision dispatched (an order pick) or
	// was taken before (the first event after it).
	Seq uint64 `json:"seq"`
	// Msg is the message the chosen event delivers, if it is one.
	Msg uint64 `json:"msg,omitempty"`
	// State is the node the decision leaves from.
	State string `json:"state"`
}

// pathPoint is one branching point of the recorded run.
type pathPoint struct {
	index  int // among all the run's points
	state  string
	seq    uint64
	labels []string
	decs   []schedule.Decision
	taken  int
	kind   sim.PointKind
}

// recorder is the chooser of a graph's runs: it replays inner (or a fixed
// prefix of option indices), and records the branching points.
type recorder struct {
	inner  sim.Chooser
	seq    *uint64
	points []pathPoint
	n      int
	limit  int // record this many branching points at most
	err    error
}

func (c *recorder) Choose(p sim.Point) int {
	i := 0
	if c.inner != nil {
		i = c.inner.Choose(p)
	}
	if i < 0 || i >= len(p.Options) {
		i = 0
	}
	idx := c.n
	c.n++
	if len(p.Options) < 2 || len(c.points) >= c.limit || c.err != nil {
		return i
	}
	h, err := p.State()
	if err != nil {
		c.err = err
		return i
	}
	pp := pathPoint{index: idx, state: hex.EncodeToString(h[:8]), seq: *c.seq, taken: i, kind: p.Kind}
	for _, o := range p.Options {
		pp.labels = append(pp.labels, o.Label)
		pp.decs = append(pp.decs, o.Decision)
	}
	c.points = append(c.points, pp)
	return i
}

// graphRun is one recorded run's points and verdict.
type graphRun struct {
	points []pathPoint
	digest string
	failed bool
	msgs   map[uint64]uint64 // trace seq -> message id of deliveries
}

// recordRun runs scn with chooser ch, recording up to limit points.
func recordRun(ctx context.Context, scn *scenario.Scenario, opts runner.Options, ch sim.Chooser, faults bool, limit int) (*graphRun, error) {
	var seq uint64
	rec := &recorder{inner: ch, seq: &seq, limit: limit}
	r, err := runner.Prepare(ctx, scn, opts.WithChooser(rec, sim.ChoiceOptions{Faults: faults}))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	msgs := map[uint64]uint64{}
	r.Observe(func(e trace.Event) {
		seq = e.Seq
		if e.Msg != 0 && e.Kind == trace.KindDeliver {
			msgs[e.Seq] = e.Msg
		}
	})
	res, err := r.Finish()
	if err != nil {
		return nil, err
	}
	if rec.err != nil {
		return nil, fmt.Errorf("explore: graph: state hash: %w", rec.err)
	}
	return &graphRun{points: rec.points, digest: res.TraceSHA256, failed: res.Verdict == check.Invalid, msgs: msgs}, nil
}

// RecordGraph replays scn (its schedule:, with its seed from opts) and
// records the state graph around it: the path's states and choices, and
// at the last around branching points (and at every non-default
// decision) each option not taken, followed by one run to the next state.
func RecordGraph(ctx context.Context, scn *scenario.Scenario, opts runner.Options, around int) (*Graph, error) {
	faults := false
	for _, d := range scn.Schedule {
		faults = faults || d.Kind == schedule.Crash || d.Kind == schedule.Restart
	}
	path, err := recordRun(ctx, scn, opts, sim.Replay(scn.Schedule), faults, MaxGraphPoints)
	if err != nil {
		return nil, fmt.Errorf("explore: graph: %w", err)
	}
	g := newGraphBuilder()
	ids := g.path(path)
	for k, pp := range path.points {
		if k < len(path.points)-around && pp.taken == 0 {
			continue
		}
		for j := range pp.labels {
			if j == pp.taken || ctx.Err() != nil {
				continue
			}
			prefix := make([]int, pp.index+1)
			for _, q := range path.points[:k] {
				prefix[q.index] = q.taken
			}
			prefix[pp.index] = j
			alt, err := recordRun(ctx, scn, opts, &fixed{prefix: prefix}, faults, k+2)
			if err != nil {
				return nil, fmt.Errorf("explore: graph: option %d at %s: %w", j, pp.labels[j], err)
			}
			g.branch(ids[k], pp, j, alt, k+1)
		}
	}
	g.g.Verdict = string(check.Valid)
	if path.failed {
		g.g.Verdict = string(check.Invalid)
	}
	return &g.g, nil
}

// graphBuilder adds nodes once.
type graphBuilder struct {
	g    Graph
	seen map[string]int
}

func newGraphBuilder() *graphBuilder {
	return &graphBuilder{g: Graph{Nodes: []GraphNode{}, Edges: []GraphEdge{}, Decisions: []GraphDecision{}}, seen: map[string]int{}}
}

func (b *graphBuilder) node(n GraphNode) string {
	if i, ok := b.seen[n.ID]; ok {
		b.g.Nodes[i].Path = b.g.Nodes[i].Path || n.Path
		return n.ID
	}
	b.seen[n.ID] = len(b.g.Nodes)
	b.g.Nodes = append(b.g.Nodes, n)
	return n.ID
}

func endNode(r *graphRun, path bool) GraphNode {
	return GraphNode{ID: "end:" + r.digest[:16], Path: path, End: true, Failing: r.failed}
}

func decisionText(d schedule.Decision) string {
	if d == (schedule.Decision{}) {
		return ""
	}
	return d.String()
}

// path adds the run's states and the choices between them; it returns
// the node of each point.
func (b *graphBuilder) path(r *graphRun) []string {
	ids := make([]string, len(r.points))
	for k, pp := range r.points {
		ids[k] = b.node(GraphNode{ID: pp.state, Seq: pp.seq, Path: true})
	}
	for k, pp := range r.points {
		to := endNode(r, true)
		if k+1 < len(r.points) {
			to = GraphNode{ID: ids[k+1]}
		} else {
			b.node(to)
		}
		b.g.Edges = append(b.g.Edges, GraphEdge{From: ids[k], To: to.ID, Label: pp.labels[pp.taken], Decision: decisionText(pp.decs[pp.taken]), Path: true})
		if pp.taken > 0 {
			seq := pp.seq + 1
			b.g.Decisions = append(b.g.Decisions, GraphDecision{Decision: pp.decs[pp.taken].String(), Label: pp.labels[pp.taken], Seq: seq, Msg: r.msgs[seq], State: ids[k]})
		}
	}
	return ids
}

// branch adds option j of point pp (node from), run as alt, whose point
// at index next is the state the option leads to.
func (b *graphBuilder) branch(from string, pp pathPoint, j int, alt *graphRun, next int) {
	to := endNode(alt, false)
	if next < len(alt.points) {
		to = GraphNode{ID: alt.points[next].state, Seq: alt.points[next].seq}
	}
	b.node(to)
	b.g.Edges = append(b.g.Edges, GraphEdge{From: from, To: to.ID, Label: pp.labels[j], Decision: decisionText(pp.decs[j])})
}
