// Package sagacheck is the host side of the saga plugin: the "saga"
// workload (clients place orders, other clients read the services' state
// while sagas run) and two checkers, "saga-consistency" and
// "saga-isolation".
package sagacheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns the plugin's catalogue entry, workloads and checkers.
func Plugin() contract.Plugin {
	return contract.Plugin{
		Name:      "saga",
		Title:     "Saga",
		Category:  "event-driven",
		Summary:   "A long business transaction as a sequence of local transactions, each undone by a compensating action; orchestrated or choreographed over events.",
		Workloads: map[string]workload.Workload{"saga": sagaWorkload{}},
		Checks: map[string]check.Checker{
			"saga-consistency": Consistency,
			"saga-isolation":   Isolation,
		},
	}
}

// Steps are the saga's steps in order, as the guest names them.
var Steps = []string{"order", "payment", "inventory", "shipping"}

// ---- workload ----

type workloadParams struct {
	// SubmitTo is the node orders go to ("orchestrator" or "order").
	SubmitTo string `json:"submit_to"`
	// Readers is how many of the clients read instead of ordering.
	Readers int `json:"readers"`
	// Settle is the time after the last order for sagas to finish.
	Settle string `json:"settle"`
	// Services are the nodes readers read (default: the four services).
	Services []string `json:"services"`
}

type sagaWorkload struct{}

// Start implements workload.Workload. Order clients send
// {"type":"order","saga":ID} and record order ops ({"saga"} →
// {"saga","outcome"}); reader clients pick a saga in flight and read one
// service's state for it, recording read ops ({"saga","service"} →
// {"saga","service","state"}).
func (sagaWorkload) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := workloadParams{SubmitTo: "orchestrator", Settle: "2s"}
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload saga: params: %w", err)
		}
	}
	if len(p.Services) == 0 {
		p.Services = Steps
	}
	settle, err := time.ParseDuration(p.Settle)
	if err != nil || settle < 0 {
		return 0, fmt.Errorf("workload saga: params.settle %q is not a duration", p.Settle)
	}
	if _, ok := s.Index(p.SubmitTo); !ok {
		return 0, fmt.Errorf("workload saga: params.submit_to %q is not a node", p.SubmitTo)
	}
	if p.Readers < 0 || p.Readers >= len(spec.Clients) {
		return 0, fmt.Errorf("workload saga: params.readers %d must leave at least one of %d clients ordering", p.Readers, len(spec.Clients))
	}
	nOrder := len(spec.Clients) - p.Readers
	next := 0
	inflight := map[string]bool{}
	last := ""
	// the clients start at 0, whatever spec.Start says
	workload.ClosedLoop{}.Run(s, spec, func(ci int, c workload.Client, _ int, again func()) {
		if ci >= nOrder { // a reader
			saga := last
			if len(inflight) > 0 {
				ids := make([]string, 0, len(inflight))
				for id := range inflight {
					ids = append(ids, id)
				}
				sort.Strings(ids)
				saga = ids[spec.Rand.IntN(len(ids))]
			}
			if saga == "" {
				again()
				return
			}
			svc := p.Services[spec.Rand.IntN(len(p.Services))]
			in := map[string]string{"saga": saga, "service": svc}
			c.Invoke("read", in, svc)
			err := c.Call(svc, map[string]any{"type": "read", "saga": saga}, spec.Timeout, func(r history.Reply) {
				var b struct {
					State string `json:"state"`
				}
				switch {
				case r.TimedOut:
					c.Complete(history.OpInfo, "read", in, svc, "timeout")
				case r.Type == "read_ok" && json.Unmarshal(r.Body, &b) == nil:
					c.Complete(history.OpOK, "read", map[string]string{"saga": saga, "service": svc, "state": b.State}, svc, "")
				default:
					c.Complete(history.OpFail, "read", in, svc, string(r.Body))
				}
				again()
			})
			if err != nil {
				c.Complete(history.OpFail, "read", in, svc, err.Error())
				again()
			}
			return
		}
		next++
		saga := fmt.Sprintf("s%d", next)
		inflight[saga] = true
		last = saga
		in := map[string]string{"saga": saga}
		c.Invoke("order", in, p.SubmitTo)
		err := c.Call(p.SubmitTo, map[string]any{"type": "order", "saga": saga}, spec.Timeout, func(r history.Reply) {
			delete(inflight, saga)
			var b struct {
				Outcome string `json:"outcome"`
			}
			switch {
			case r.TimedOut:
				c.Complete(history.OpInfo, "order", in, p.SubmitTo, "timeout")
			case r.Type == "order_ok" && json.Unmarshal(r.Body, &b) == nil:
				c.Complete(history.OpOK, "order", map[string]string{"saga": saga, "outcome": b.Outcome}, p.SubmitTo, "")
			default:
				c.Complete(history.OpFail, "order", in, p.SubmitTo, string(r.Body))
			}
			again()
		})
		if err != nil {
			delete(inflight, saga)
			c.Complete(history.OpFail, "order", in, p.SubmitTo, err.Error())
			again()
		}
	})
	return spec.Duration + settle, nil
}

// ---- events ----

type stepEv struct {
	Saga   string `json:"saga"`
	Step   string `json:"step"`
	Action string `json:"action"`
	OK     bool   `json:"ok"`
}

type sagaEv struct {
	Saga    string `json:"saga"`
	Outcome string `json:"outcome"`
}

// Violation is one broken saga property.
type Violation struct {
	Saga    string `json:"saga"`
	Step    string `json:"step,omitempty"`
	Problem string `json:"problem"`
}

func (v Violation) String() string {
	if v.Step == "" {
		return fmt.Sprintf("saga %s: %s", v.Saga, v.Problem)
	}
	return fmt.Sprintf("saga %s, step %s: %s", v.Saga, v.Step, v.Problem)
}

type sagaState struct {
	order       int // first appearance, for a stable report order
	done        map[string]int
	failed      map[string]bool
	compensated map[string]int
	outcomes    []string
	reserved    int
	released    int
}

// Consistency checks, from the events the services emitted, that every
// saga ends fully committed (every step done, none compensated) or fully
// compensated (every step that ran compensated, exactly once), that no
// step is compensated without having run or runs twice, and that no
// inventory reservation of a saga that did not commit is left unreleased.
func Consistency(in check.Input) check.Result {
	var p struct {
		Steps []string `json:"steps"`
	}
	if len(in.Params) > 0 {
		_ = json.Unmarshal(in.Params, &p)
	}
	if len(p.Steps) == 0 {
		p.Steps = Steps
	}
	sagas := map[string]*sagaState{}
	get := func(id string) *sagaState {
		st, ok := sagas[id]
		if !ok {
			st = &sagaState{order: len(sagas), done: map[string]int{}, failed: map[string]bool{}, compensated: map[string]int{}}
			sagas[id] = st
		}
		return st
	}
	var vs []Violation
	for _, ev := range in.Events {
		if ev.Kind != trace.KindEmit {
			continue
		}
		switch ev.Label {
		case "step":
			var e stepEv
			if json.Unmarshal(ev.Data, &e) != nil || e.Saga == "" {
				continue
			}
			st := get(e.Saga)
			switch e.Action {
			case "do":
				if !e.OK {
					st.failed[e.Step] = true
					continue
				}
				st.done[e.Step]++
				if st.done[e.Step] == 2 {
					vs = append(vs, Violation{e.Saga, e.Step, "ran twice (not idempotent)"})
				}
			case "compensate":
				if st.done[e.Step] == 0 {
					vs = append(vs, Violation{e.Saga, e.Step, "compensated without having run"})
				}
				st.compensated[e.Step]++
				if st.compensated[e.Step] == 2 {
					vs = append(vs, Violation{e.Saga, e.Step, "compensated twice"})
				}
			}
		case "saga_end":
			var e sagaEv
			if json.Unmarshal(ev.Data, &e) != nil || e.Saga == "" {
				continue
			}
			st := get(e.Saga)
			st.outcomes = append(st.outcomes, e.Outcome)
		case "reserve", "release":
			var e sagaEv
			if json.Unmarshal(ev.Data, &e) != nil || e.Saga == "" {
				continue
			}
			st := get(e.Saga)
			if ev.Label == "reserve" {
				st.reserved++
			} else {
				st.released++
				if st.released > st.reserved {
					vs = append(vs, Violation{e.Saga, "inventory", "reservation released that was never made"})
				}
			}
		}
	}
	ids := make([]string, 0, len(sagas))
	for id := range sagas {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return sagas[ids[i]].order < sagas[ids[j]].order })
	committed, compensated := 0, 0
	var dangling []string
	for _, id := range ids {
		st := sagas[id]
		outcome := ""
		if len(st.outcomes) > 0 {
			outcome = st.outcomes[0]
		}
		for _, o := range st.outcomes[min(1, len(st.outcomes)):] {
			if o != outcome {
				vs = append(vs, Violation{Saga: id, Problem: fmt.Sprintf("ended both %s and %s", outcome, o)})
			}
		}
		switch outcome {
		case "committed":
			committed++
			for _, s := range p.Steps {
				switch {
				case st.done[s] == 0:
					vs = append(vs, Violation{id, s, "saga committed but this step never ran"})
				case st.compensated[s] > 0:
					vs = append(vs, Violation{id, s, "saga committed but this step was compensated"})
				}
			}
		case "compensated":
			compensated++
			for _, s := range p.Steps {
				if st.done[s] > 0 && st.compensated[s] == 0 {
					vs = append(vs, Violation{id, s, "ran but was never compensated (saga ended compensated: half compensated)"})
				}
			}
		case "":
			last := ""
			for _, s := range p.Steps {
				if st.done[s] > 0 || st.failed[s] {
					last = s
				}
			}
			vs = append(vs, Violation{Saga: id, Step: last, Problem: "never ended: neither committed nor compensated"})
		default:
			vs = append(vs, Violation{Saga: id, Problem: fmt.Sprintf("unknown outcome %q", outcome)})
		}
		if st.reserved > st.released && outcome != "committed" {
			dangling = append(dangling, id)
			vs = append(vs, Violation{id, "inventory", "dangling inventory reservation: reserved, never released, saga not committed"})
		}
	}
	d := map[string]any{"sagas": len(ids), "committed": committed, "compensated": compensated}
	if len(vs) > 0 {
		lines := make([]string, 0, min(len(vs), 20))
		for _, v := range vs[:min(len(vs), 20)] {
			lines = append(lines, v.String())
		}
		d["violations"] = lines
		d["violation_count"] = len(vs)
		d["first_saga"] = vs[0].Saga
		d["first_step"] = vs[0].Step
		if len(dangling) > 0 {
			d["dangling_reservations"] = dangling
		}
		return check.Result{Verdict: check.Invalid, Details: d,
			Summary: fmt.Sprintf("%d saga violation(s); first: %s", len(vs), vs[0])}
	}
	if len(ids) == 0 {
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no saga ran"}
	}
	return check.Result{Verdict: check.Valid, Details: d,
		Summary: fmt.Sprintf("all %d sagas ended whole: %d committed, %d fully compensated, no dangling reservation", len(ids), committed, compensated)}
}

// Isolation measures the saga's known limitation: the local transactions
// commit one by one, so a reader sees a saga's intermediate state (e.g. a
// payment taken for an order not yet confirmed). It counts the completed
// reads that returned some effect of a saga that had not ended yet when
// the read completed (any state but "none"; the order's own terminal
// states confirmed and cancelled excepted), and among them the dirty reads
// of sagas that were later compensated. The verdict is valid whenever
// there are reads to measure, unknown otherwise: it is a metric, not a
// property.
func Isolation(in check.Input) check.Result {
	ends := map[string]int64{}
	outcome := map[string]string{}
	for _, ev := range in.Events {
		if ev.Kind != trace.KindEmit || ev.Label != "saga_end" {
			continue
		}
		var e sagaEv
		if json.Unmarshal(ev.Data, &e) != nil {
			continue
		}
		if _, ok := ends[e.Saga]; !ok {
			ends[e.Saga] = ev.Time
			outcome[e.Saga] = e.Outcome
		}
	}
	type readVal struct {
		Saga    string `json:"saga"`
		Service string `json:"service"`
		State   string `json:"state"`
	}
	reads, intermediate, dirty := 0, 0, 0
	byService := map[string]int{}
	var examples []string
	for _, op := range in.History {
		if op.F != "read" || op.Type != history.OpOK {
			continue
		}
		var r readVal
		if json.Unmarshal(op.Value, &r) != nil || r.Saga == "" {
			continue
		}
		reads++
		if r.State == "" || r.State == "none" || (r.Service == "order" && (r.State == "confirmed" || r.State == "cancelled")) {
			continue
		}
		end, ended := ends[r.Saga]
		if ended && end <= op.Time {
			continue
		}
		intermediate++
		byService[r.Service]++
		if outcome[r.Saga] == "compensated" {
			dirty++
		}
		if len(examples) < 5 {
			examples = append(examples, fmt.Sprintf("at %v %s read saga %s as %s before it ended", time.Duration(op.Time), r.Service, r.Saga, r.State))
		}
	}
	d := map[string]any{"reads": reads, "intermediate_reads": intermediate, "dirty_reads": dirty}
	if reads == 0 {
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no read completed: nothing to measure"}
	}
	share := float64(intermediate) / float64(reads)
	d["share"] = share
	d["by_service"] = byService
	if len(examples) > 0 {
		d["examples"] = examples
	}
	return check.Result{Verdict: check.Valid, Details: d,
		Summary: fmt.Sprintf("%d of %d reads (%.0f%%) saw a saga's intermediate state; %d of them of sagas later compensated%s",
			intermediate, reads, 100*share, dirty, firstExample(examples))}
}

func firstExample(ex []string) string {
	if len(ex) == 0 {
		return ""
	}
	return "; e.g. " + strings.TrimSpace(ex[0])
}
