package runner

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// scheduleJepsen runs a nemesis with schedule jepsen: Jepsen's combined
// nemesis packages as Maelstrom composes them (src/maelstrom/nemesis.clj,
// package: partition-package and db-package of
// jepsen/src/jepsen/nemesis/combined.clj, jepsen 0.3.7).
//
//   - Partition kinds form partition-package: gen/stagger over a
//     flip-flop of start-partition (a grudge drawn uniformly from the
//     kinds) and stop-partition (repair). The first fault comes at Start;
//     each later step follows the previous one after a uniform draw from
//     [0, 2×Every) (gen/stagger), while it falls before Stop (gen/time-limit).
//   - kill and pause form db-package, on its own staggered stream: each
//     step draws one of the enabled flip-flops (gen/mix) and takes that
//     flip-flop's next action: kill or pause nodes chosen by a node spec
//     (db-nodes), then start or resume every node.
//   - At Stop everything is healed (the packages' final generators:
//     stop-partition, resume :all, start :all), as Maelstrom does before
//     its final phase.
func scheduleJepsen(s *sim.Sim, nm scenario.Nemesis, scn *scenario.Scenario, r *rand.Rand, record func(fault.Fault)) {
	stop := nm.Stop
	if stop == 0 {
		stop = scn.Duration
	}
	targets := nm.Targets
	if len(targets) == 0 {
		targets = scn.NodeNames()
	}
	j := &jepsenNemesis{s: s, r: r, record: record, targets: targets, stop: stop, every: nm.Every, killed: map[string]bool{}}
	var parts, db, adv []string
	for _, k := range nm.Kinds {
		if fault.Kind(k).Adversary() {
			adv = append(adv, k)
		} else if k == fault.NemesisCrash || k == fault.NemesisPause {
			if !slices.Contains(db, k) {
				db = append(db, k)
			}
		} else {
			parts = append(parts, k)
		}
	}
	if len(parts) > 0 {
		start := true
		j.stagger(nm.Start, func() {
			if start {
				j.partition(parts[r.IntN(len(parts))])
			} else {
				j.do(fault.Fault{Kind: fault.Repair})
			}
			start = !start
		})
	}
	if len(db) > 0 {
		// gen/mix over the flip-flops [pause-resume, kill-start] (in that
		// order, as db-generators builds them)
		slices.SortFunc(db, func(a, b string) int {
			if a == b {
				return 0
			} else if a == fault.NemesisPause {
				return -1
			}
			return 1
		})
		strike := make([]bool, len(db)) // each flip-flop's next step strikes
		for i := range strike {
			strike[i] = true
		}
		j.stagger(nm.Start, func() {
			i := r.IntN(len(db))
			if strike[i] {
				j.db(db[i])
			} else {
				j.heal(db[i])
			}
			strike[i] = !strike[i]
		})
	}
	heal := j.adversary(nm, adv)
	s.At(stop, func() {
		if heal != nil {
			heal()
		}
		if len(parts) > 0 {
			j.do(fault.Fault{Kind: fault.Repair})
		}
		for _, k := range db {
			j.heal(k)
		}
	})
}

// adversary staggers the adversary kinds on a stream of their own, as
// partition-package does the partition kinds: a strike (a kind drawn
// uniformly) and its heal alternate. It returns the heal standing at the
// end, if any, when the function it returns is called (at Stop).
func (j *jepsenNemesis) adversary(nm scenario.Nemesis, kinds []string) func() {
	if len(kinds) == 0 {
		return nil
	}
	var heal func()
	j.stagger(nm.Start, func() {
		if heal != nil {
			j.healAdversary(&heal)
			return
		}
		heal = adversaryStrike(j.s, fault.Kind(kinds[j.r.IntN(len(kinds))]), j.shuffled(), j.r, j.do)
	})
	return func() { j.healAdversary(&heal) }
}

// healAdversary runs and clears a standing adversary heal.
func (j *jepsenNemesis) healAdversary(heal *func()) {
	if h := *heal; h != nil {
		*heal = nil
		h()
	}
}

// jepsenNemesis is the state of one jepsen-schedule nemesis.
type jepsenNemesis struct {
	s           *sim.Sim
	r           *rand.Rand
	record      func(fault.Fault)
	targets     []string
	stop, every time.Duration
	killed      map[string]bool // nodes this nemesis crashed and has not restarted
}

// stagger runs step at start and then after each uniform draw from
// [0, 2×every), while the step's time is before stop (gen/stagger inside
// gen/time-limit).
func (j *jepsenNemesis) stagger(start time.Duration, step func()) {
	var next func()
	next = func() {
		step()
		at := j.s.Now() + time.Duration(j.r.Int64N(int64(2*j.every)))
		if at < j.stop {
			j.s.At(at, next)
		}
	}
	if start < j.stop {
		j.s.At(start, next)
	}
}

func (j *jepsenNemesis) do(f fault.Fault) {
	j.record(f)
	_ = j.s.Apply(f) // targets are the scenario's validated node names
}

// shuffled returns the targets in a random order (Clojure's shuffle).
func (j *jepsenNemesis) shuffled() []string {
	l := slices.Clone(j.targets)
	j.r.Shuffle(len(l), func(a, b int) { l[a], l[b] = l[b], l[a] })
	return l
}

// partition applies the grudge of a partition kind (combined.clj's
// grudge; nemesis.clj's split-one, bisect, majorities-ring).
func (j *jepsenNemesis) partition(kind string) {
	split := func(a, b []string) {
		if len(a) > 0 && len(b) > 0 {
			j.do(fault.Fault{Kind: fault.Partition, Groups: [][]string{a, b}})
		}
	}
	switch kind {
	case fault.NemesisIsolate: // :one, split-one
		l := j.shuffled()
		split(l[:1], l[1:])
	case fault.NemesisPartitionHalves: // :majority, bisect of a shuffle: smaller half first
		l := j.shuffled()
		split(l[:len(l)/2], l[len(l)/2:])
	case fault.NemesisMinorityThird: // :minority-third
		l := j.shuffled()
		k := (len(l) - 1) / 3
		split(l[:k], l[k:])
	case fault.NemesisBridge: // nemesis/bridge (not in Maelstrom's list)
		l := j.shuffled()
		if len(l) < 3 {
			return
		}
		rest := l[1:]
		split(rest[:len(rest)/2], rest[len(rest)/2:])
	case fault.NemesisMajoritiesRing:
		for _, cut := range majoritiesRing(j.targets, j.r) {
			j.do(fault.Fault{Kind: fault.PartitionOneWay, From: cut.from, To: []string{cut.to}})
		}
	}
}

// oneWay is one receiver and the senders it no longer hears (a grudge
// entry).
type oneWay struct {
	to   string
	from []string
}

// majoritiesRing is Jepsen's majorities-ring grudge (nemesis.clj): every
// node sees a majority, no two the same. Up to five nodes, the exact ring
// (majorities-ring-perfect); above, the stochastic construction
// (majorities-ring-stochastic). Entries come sorted by receiver.
func majoritiesRing(names []string, r *rand.Rand) []oneWay {
	n := len(names)
	m := n/2 + 1
	sees := map[string]map[string]bool{}
	if n <= 5 {
		ring := slices.Clone(names)
		r.Shuffle(n, func(a, b int) { ring[a], ring[b] = ring[b], ring[a] })
		for i := range n {
			window := map[string]bool{}
			for k := range m {
				window[ring[(i+k)%n]] = true
			}
			sees[ring[(i+m/2)%n]] = window
		}
	} else {
		conns := map[string]map[string]bool{}
		degree := map[string]int{}
		for _, a := range names {
			conns[a] = map[string]bool{a: true}
			degree[a] = 1
		}
		for {
			// nodes by degree, each degree's nodes shuffled
			var dns []string
			for d := 1; d <= n; d++ {
				var same []string
				for _, a := range names {
					if degree[a] == d {
						same = append(same, a)
					}
				}
				r.Shuffle(len(same), func(x, y int) { same[x], same[y] = same[y], same[x] })
				dns = append(dns, same...)
			}
			a := dns[0]
			if degree[a] >= m {
				break
			}
			var b string
			for _, c := range dns {
				if !conns[a][c] {
					b = c
					break
				}
			}
			conns[a][b], conns[b][a] = true, true
			degree[a]++
			degree[b]++
		}
		sees = conns
	}
	var out []oneWay
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	for _, to := range sorted {
		var from []string
		for _, f := range sorted {
			if !sees[to][f] {
				from = append(from, f)
			}
		}
		if len(from) > 0 {
			out = append(out, oneWay{to: to, from: from})
		}
	}
	return out
}

// Jepsen's db-nodes specs, as node-specs lists them for a DB without
// primaries: nil (a random non-empty subset), :one, :minority-third,
// :minority, :majority, :all.
const dbSpecs = 6

// db kills or pauses the nodes of a random node spec (db-nemesis).
func (j *jepsenNemesis) db(kind string) {
	l := j.shuffled()
	n := len(l)
	if n == 0 {
		return
	}
	var pick []string
	switch j.r.IntN(dbSpecs) {
	case 0: // nil: random-nonempty-subset
		pick = l[:1+j.r.IntN(n)]
	case 1: // :one
		pick = l[:1]
	case 2: // :minority-third
		pick = l[:(n-1)/3]
	case 3: // :minority
		pick = l[:n/2]
	case 4: // :majority
		pick = l[:n/2+1]
	default: // :all
		pick = l
	}
	slices.Sort(pick)
	for _, name := range pick {
		nd := j.s.Node(name)
		if nd == nil || nd.State() != nodes.Running {
			continue
		}
		if kind == fault.NemesisCrash {
			j.killed[name] = true
			j.do(fault.Fault{Kind: fault.Crash, Node: name})
		} else if !nd.Paused() {
			j.do(fault.Fault{Kind: fault.Pause, Node: name})
		}
	}
}

// heal starts every node it killed or resumes every paused one (start
// :all, resume :all).
func (j *jepsenNemesis) heal(kind string) {
	sorted := slices.Clone(j.targets)
	slices.Sort(sorted)
	for _, name := range sorted {
		nd := j.s.Node(name)
		if nd == nil {
			continue
		}
		switch {
		case kind == fault.NemesisCrash && j.killed[name]:
			delete(j.killed, name)
			if nd.State() != nodes.Running {
				j.do(fault.Fault{Kind: fault.Restart, Node: name})
			}
		case kind == fault.NemesisPause && nd.Paused():
			j.do(fault.Fault{Kind: fault.Resume, Node: name})
		}
	}
}
