// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o rlbs.wasm ./plugins/rlbs

// Command rlbs is the Replicated Load-Balanced Services pattern as a
// Terrarium guest: one module with two roles.
//
// Role "replica" is an identical, stateless worker. It answers
// {"type":"work","req":...} with {"type":"work_ok","replica":ID} after a
// service time drawn from its seeded stream (exponential around
// service_ms), serving at most `concurrency` requests at a time (the rest
// wait in line), and answers {"type":"health"} with health_ok at once.
// Params: {"service_ms": 5, "concurrency": 1, "slow": ["r3"],
// "slow_factor": 8}: the replicas named in slow take slow_factor times
// longer.
//
// Role "balancer" forwards each client work request to one replica chosen
// by its algorithm, relays the reply, and retries on another replica when
// the chosen one does not answer within try_ms (at most attempts tries).
// It probes every replica with health every health_ms; a replica that
// misses miss_limit probes in a row is taken out of rotation and put back
// when it answers again. Params: {"algorithm": "round-robin" |
// "least-outstanding" | "p2c", "replicas": ["r0", ...] (default: every
// node whose name starts with replica_prefix, default "r"), "health_ms":
// 50, "miss_limit": 2, "try_ms": 80, "attempts": 2, "remove_dead": true}.
// remove_dead false is the deliberately broken variant: health changes are
// still reported, but a dead replica is never taken out of rotation.
//
// Events: balancer {"algorithm","replicas","remove_dead"} at start,
// route {"replica","req","attempt","algorithm"} per forward,
// health {"replica","up"} on every change of a replica's health.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"log"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// Algorithms.
const (
	RoundRobin       = "round-robin"
	LeastOutstanding = "least-outstanding"
	P2C              = "p2c"
)

func main() {
	n := maelstrom.NewNode()
	rng := seeded()
	switch n.Role() {
	case "replica":
		startReplica(n, rng)
	default:
		startBalancer(n, rng)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// seeded returns a generator seeded from the node's seeded stream
// (random_get reads it), so every draw is a function of the run's seed.
func seeded() *mrand.Rand {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])))
}

// Messages and events (structs: encoding/json is cheaper on them than on
// maps in a wasm guest).
type (
	workRequest struct {
		Type string `json:"type"`
		Req  string `json:"req"`
	}
	replicaReply struct {
		Type    string `json:"type"`
		Replica string `json:"replica"`
	}
	workReply struct {
		Type      string `json:"type"`
		Replica   string `json:"replica"`
		Balancer  string `json:"balancer"`
		Algorithm string `json:"algorithm"`
		Attempts  int    `json:"attempts"`
	}
	routeEvent struct {
		Replica   string `json:"replica"`
		Req       string `json:"req"`
		Attempt   int    `json:"attempt"`
		Algorithm string `json:"algorithm"`
	}
)

// ---- replica ----

type replicaParams struct {
	ServiceMS   float64  `json:"service_ms"`
	Concurrency int      `json:"concurrency"`
	Slow        []string `json:"slow"`
	SlowFactor  float64  `json:"slow_factor"`
}

func startReplica(n *maelstrom.Node, rng *mrand.Rand) {
	p := replicaParams{ServiceMS: 5, Concurrency: 1, SlowFactor: 8}
	_ = json.Unmarshal(n.Params(), &p)
	if p.ServiceMS <= 0 {
		p.ServiceMS = 5
	}
	if p.Concurrency <= 0 {
		p.Concurrency = 1
	}
	mean := p.ServiceMS
	if slices.Contains(p.Slow, n.ID()) && p.SlowFactor > 0 {
		mean *= p.SlowFactor
	}
	slots := make(chan struct{}, p.Concurrency)
	var mu sync.Mutex
	n.Handle("work", func(msg maelstrom.Message) error {
		slots <- struct{}{} // wait in line for a free slot
		mu.Lock()
		d := time.Duration(rng.ExpFloat64() * mean * float64(time.Millisecond))
		mu.Unlock()
		time.Sleep(d)
		<-slots
		return n.Reply(msg, replicaReply{Type: "work_ok", Replica: n.ID()})
	})
	n.HandleInline("health", func(msg maelstrom.Message) error {
		return n.Reply(msg, replicaReply{Type: "health_ok", Replica: n.ID()})
	})
}

// ---- balancer ----

type balancerParams struct {
	Algorithm     string   `json:"algorithm"`
	Replicas      []string `json:"replicas"`
	ReplicaPrefix string   `json:"replica_prefix"`
	HealthMS      int      `json:"health_ms"`
	MissLimit     int      `json:"miss_limit"`
	TryMS         int      `json:"try_ms"`
	Attempts      int      `json:"attempts"`
	RemoveDead    *bool    `json:"remove_dead"`
}

type balancer struct {
	n          *maelstrom.Node
	algo       string
	replicas   []string
	removeDead bool
	missLimit  int
	try        time.Duration
	attempts   int

	mu          sync.Mutex
	rng         *mrand.Rand
	rr          int
	up          map[string]bool
	misses      map[string]int
	answered    map[string]bool
	outstanding map[string]int
}

func startBalancer(n *maelstrom.Node, rng *mrand.Rand) {
	p := balancerParams{Algorithm: RoundRobin, ReplicaPrefix: "r", HealthMS: 50, MissLimit: 2, TryMS: 80, Attempts: 2}
	if err := json.Unmarshal(n.Params(), &p); err != nil {
		n.Logf(maelstrom.LevelWarn, "params: %v", err)
	}
	switch p.Algorithm {
	case RoundRobin, LeastOutstanding, P2C:
	default:
		n.Logf(maelstrom.LevelWarn, "unknown algorithm %q, using %s", p.Algorithm, RoundRobin)
		p.Algorithm = RoundRobin
	}
	if len(p.Replicas) == 0 {
		for _, id := range n.NodeIDs() {
			if id != n.ID() && strings.HasPrefix(id, p.ReplicaPrefix) {
				p.Replicas = append(p.Replicas, id)
			}
		}
	}
	b := &balancer{
		n: n, algo: p.Algorithm, replicas: p.Replicas, removeDead: p.RemoveDead == nil || *p.RemoveDead,
		missLimit: max(p.MissLimit, 1), try: time.Duration(max(p.TryMS, 1)) * time.Millisecond, attempts: max(p.Attempts, 1),
		rng: rng, up: map[string]bool{}, misses: map[string]int{}, answered: map[string]bool{}, outstanding: map[string]int{},
	}
	for _, r := range b.replicas {
		b.up[r] = true // optimistic: every replica starts in rotation
		b.answered[r] = true
	}
	n.Emit("balancer", map[string]any{"algorithm": b.algo, "replicas": b.replicas, "remove_dead": b.removeDead})
	n.Handle("work", b.work)

	// Started before Run, so its timing is the same on every run.
	ticker := time.NewTicker(time.Duration(max(p.HealthMS, 1)) * time.Millisecond)
	go func() {
		for range ticker.C {
			b.healthRound()
		}
	}()
}

// healthRound judges the previous round's probes and sends new ones.
func (b *balancer) healthRound() {
	b.mu.Lock()
	for _, r := range b.replicas {
		if b.answered[r] {
			b.misses[r] = 0
			if !b.up[r] {
				b.up[r] = true
				b.n.Emit("health", map[string]any{"replica": r, "up": true})
			}
		} else {
			b.misses[r]++
			if b.misses[r] >= b.missLimit && b.up[r] {
				b.up[r] = false
				b.n.Emit("health", map[string]any{"replica": r, "up": false})
			}
		}
		b.answered[r] = false
	}
	b.mu.Unlock()
	for _, r := range b.replicas {
		r := r
		_ = b.n.RPC(r, json.RawMessage(`{"type":"health"}`), func(maelstrom.Message) error {
			b.mu.Lock()
			b.answered[r] = true
			b.mu.Unlock()
			return nil
		})
	}
}

// pick chooses a replica for a request that has already tried `tried`.
func (b *balancer) pick(tried map[string]bool) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	in := func(r string) bool { return !b.removeDead || b.up[r] }
	var cands []string
	for _, r := range b.replicas {
		if in(r) && !tried[r] {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 { // every healthy replica tried: allow a second try
		for _, r := range b.replicas {
			if in(r) {
				cands = append(cands, r)
			}
		}
	}
	if len(cands) == 0 { // nothing healthy: fail open
		cands = append(cands, b.replicas...)
	}
	if len(cands) == 0 {
		return ""
	}
	var r string
	switch b.algo {
	case P2C:
		i := b.rng.IntN(len(cands))
		r = cands[i]
		if len(cands) > 1 {
			j := b.rng.IntN(len(cands) - 1)
			if j >= i {
				j++
			}
			if b.outstanding[cands[j]] < b.outstanding[r] {
				r = cands[j]
			}
		}
	case LeastOutstanding:
		// the fewest in flight; ties go round the ring from the rr cursor
		best := -1
		for k := range cands {
			c := cands[(b.rr+k)%len(cands)]
			if best < 0 || b.outstanding[c] < best {
				r, best = c, b.outstanding[c]
			}
		}
		b.rr++
	default:
		r = cands[b.rr%len(cands)]
		b.rr++
	}
	b.outstanding[r]++
	return r
}

func (b *balancer) done(r string) {
	b.mu.Lock()
	b.outstanding[r]--
	b.mu.Unlock()
}

func (b *balancer) work(msg maelstrom.Message) error {
	var body struct {
		Req string `json:"req"`
	}
	_ = json.Unmarshal(msg.Body, &body)
	tried := map[string]bool{}
	for attempt := 1; attempt <= b.attempts; attempt++ {
		r := b.pick(tried)
		if r == "" {
			return maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, "no replicas")
		}
		tried[r] = true
		b.n.Emit("route", routeEvent{Replica: r, Req: body.Req, Attempt: attempt, Algorithm: b.algo})
		ctx, cancel := context.WithTimeout(context.Background(), b.try)
		reply, err := b.n.SyncRPC(ctx, r, workRequest{Type: "work", Req: body.Req})
		cancel()
		b.done(r)
		if err != nil {
			continue // timed out or failed: try another replica
		}
		var rb replicaReply
		_ = json.Unmarshal(reply.Body, &rb)
		return b.n.Reply(msg, workReply{Type: "work_ok", Replica: rb.Replica, Balancer: b.n.ID(), Algorithm: b.algo, Attempts: attempt})
	}
	return maelstrom.NewRPCError(maelstrom.Timeout, "no replica answered in time")
}
