// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o saga.wasm ./plugins/saga

// Command saga is the Saga pattern as a Terrarium guest: one module whose
// roles are the four services of an order saga (order, payment, inventory,
// shipping) and an orchestrator.
//
// Every service performs local transactions on its own store: "do" (order:
// pending, payment: charge, inventory: reserve one unit, shipping: schedule)
// and its compensation (cancel, refund, release, cancel shipment). Each is
// idempotent: its outcome is stored under op/<saga>/<action> and synced
// before it is emitted or answered, so a retried or duplicated request gets
// the stored answer back.
//
// Two styles, chosen by the role param "style":
//
//   - orchestration: clients send {"type":"order","saga":ID} to the
//     orchestrator, which keeps a saga log in its store (synced before every
//     step), calls the services in order (saga_do, retried on timeout), and
//     on a failed step calls saga_compensate on the completed steps in
//     reverse. After a crash it resumes every unfinished saga of its log.
//   - choreography: clients send the order to the order service; services
//     publish events to each other (OrderCreated, PaymentDone,
//     InventoryReserved, ShippingScheduled; PaymentFailed, InventoryFailed,
//     ShippingFailed going back) through a synced outbox that is resent
//     until the subscriber acknowledges it.
//
// Role params: style, fail_rate (payment, shipping: chance that the step
// fails), stock (inventory: units available), retry_ms (retry interval,
// default 100), skip_compensation (a role name: that service acknowledges
// its compensation but does nothing — the deliberately broken variant).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"log"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// steps are the saga's local transactions, in order.
var steps = []string{"order", "payment", "inventory", "shipping"}

type params struct {
	Style            string  `json:"style"`
	FailRate         float64 `json:"fail_rate"`
	Stock            *int    `json:"stock"`
	RetryMS          int     `json:"retry_ms"`
	SkipCompensation string  `json:"skip_compensation"`
}

type node struct {
	n     *maelstrom.Node
	kv    *maelstrom.Store
	role  string
	p     params
	salt  uint64
	retry time.Duration

	mu      sync.Mutex
	waiters map[string][]maelstrom.Message // saga -> order requests awaiting its end
}

func main() {
	n := maelstrom.NewNode()
	s := &node{n: n, kv: n.Store(), role: n.Role(), waiters: map[string][]maelstrom.Message{}}
	if err := n.ParamsInto(&s.p); err != nil {
		log.Fatalf("saga: %v", err)
	}
	if s.p.Style == "" {
		s.p.Style = "orchestration"
	}
	s.retry = 100 * time.Millisecond
	if s.p.RetryMS > 0 {
		s.retry = time.Duration(s.p.RetryMS) * time.Millisecond
	}
	s.salt = rand.Uint64() // the host seeds WASI randomness from the run's seed
	if s.role == "inventory" {
		if _, ok, _ := s.kv.Get("stock"); !ok {
			stock := 1000
			if s.p.Stock != nil {
				stock = *s.p.Stock
			}
			_ = s.kv.Put("stock", []byte(strconv.Itoa(stock)))
			_ = s.kv.Sync()
		}
	}

	switch s.role {
	case "orchestrator":
		n.Handle("order", s.orchestrate)
		// Resume the sagas a previous incarnation left unfinished.
		pairs, err := s.kv.Scan("saga/")
		if err != nil {
			log.Fatal(err)
		}
		for _, p := range pairs {
			var r sagaRec
			if json.Unmarshal(p.Value, &r) == nil && r.Outcome == "" {
				s.n.Log("resuming saga %s at %s step %d", r.ID, r.Phase, r.Step)
				go s.run(r)
			}
		}
	default:
		n.HandleInline("saga_do", s.command("do"))
		n.HandleInline("saga_compensate", s.command("compensate"))
		n.HandleInline("saga_confirm", s.command("confirm"))
		n.HandleInline("read", s.read)
		n.HandleInline("event", s.event)
		n.HandleInline("event_ack", s.eventAck)
		if s.role == "order" {
			n.HandleInline("order", s.placeOrder)
		}
		ticker := time.NewTicker(s.retry)
		go func() {
			for range ticker.C {
				s.resendOutbox()
			}
		}()
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// ---- local transactions (every service) ----

type result struct {
	OK    bool   `json:"ok"`
	State string `json:"state"`
}

func opKey(saga, action string) string { return "op/" + saga + "/" + action }

// chance is a seeded, per-saga draw in [0, 1).
func (s *node) chance(saga string) float64 {
	h := fnv.New64a()
	h.Write([]byte(saga + "/" + s.role + "/" + strconv.FormatUint(s.salt, 10)))
	return float64(h.Sum64()>>11) / (1 << 53)
}

// apply runs this service's local transaction action ("do", "compensate",
// "confirm") for a saga once, durably, and returns its outcome; a repeated
// call returns the stored outcome.
func (s *node) apply(saga, action string) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok, _ := s.kv.Get(opKey(saga, action)); ok {
		var r result
		_ = json.Unmarshal(b, &r)
		return r
	}
	state := s.state(saga)
	r := result{OK: true}
	emitStep := true
	switch action {
	case "do":
		if state != "none" { // compensated before it ran: refuse (tombstone)
			r = result{OK: false, State: state}
			emitStep = false
			break
		}
		switch s.role {
		case "order":
			r.State = "pending"
		case "payment":
			r.State = "charged"
			if s.chance(saga) < s.p.FailRate {
				r = result{OK: false, State: "declined"}
			}
		case "inventory":
			stock := s.stock()
			if stock <= 0 {
				r = result{OK: false, State: "out_of_stock"}
			} else {
				r.State = "reserved"
				_ = s.kv.Put("stock", []byte(strconv.Itoa(stock-1)))
			}
		case "shipping":
			r.State = "scheduled"
			if s.chance(saga) < s.p.FailRate {
				r = result{OK: false, State: "undeliverable"}
			}
		}
	case "compensate":
		if s.p.SkipCompensation == s.role {
			// Broken variant: acknowledge, change nothing.
			s.n.Logf(maelstrom.LevelWarn, "skipping the compensation of %s for saga %s", s.role, saga)
			r.State = state
			emitStep = false
			break
		}
		if state == "none" {
			// The step never ran: leave a tombstone so that a late "do" is refused.
			r.State = "aborted"
			emitStep = false
			break
		}
		if b, ok, _ := s.kv.Get(opKey(saga, "do")); ok {
			var d result
			_ = json.Unmarshal(b, &d)
			if !d.OK { // a failed step has nothing to undo
				r.State = state
				emitStep = false
				break
			}
		}
		switch s.role {
		case "order":
			r.State = "cancelled"
		case "payment":
			r.State = "refunded"
		case "inventory":
			r.State = "released"
			_ = s.kv.Put("stock", []byte(strconv.Itoa(s.stock()+1)))
		case "shipping":
			r.State = "cancelled"
		}
	case "confirm":
		r.State = "confirmed"
		emitStep = false
	}
	b, _ := json.Marshal(r)
	_ = s.kv.Put(opKey(saga, action), b)
	_ = s.kv.Put("state/"+saga, []byte(r.State))
	_ = s.kv.Sync()
	if emitStep {
		s.n.Emit("step", map[string]any{"saga": saga, "step": s.role, "action": action, "ok": r.OK})
		if s.role == "inventory" && r.OK {
			switch action {
			case "do":
				s.n.Emit("reserve", map[string]any{"saga": saga, "qty": 1})
			case "compensate":
				s.n.Emit("release", map[string]any{"saga": saga, "qty": 1})
			}
		}
	}
	if action == "confirm" {
		s.n.Emit("confirm", map[string]any{"saga": saga, "step": s.role})
	}
	return r
}

// state is this service's state for a saga ("none" before any step).
// Callers hold s.mu.
func (s *node) state(saga string) string {
	if b, ok, _ := s.kv.Get("state/" + saga); ok {
		return string(b)
	}
	return "none"
}

func (s *node) stock() int {
	b, _, _ := s.kv.Get("stock")
	v, _ := strconv.Atoi(string(b))
	return v
}

type sagaMsg struct {
	Type  string `json:"type"`
	Saga  string `json:"saga"`
	Name  string `json:"name,omitempty"`
	Event string `json:"event,omitempty"`
}

// command answers the orchestrator's saga_do / saga_compensate / saga_confirm.
func (s *node) command(action string) maelstrom.HandlerFunc {
	return func(msg maelstrom.Message) error {
		var b sagaMsg
		if err := json.Unmarshal(msg.Body, &b); err != nil || b.Saga == "" {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, "want a saga id")
		}
		r := s.apply(b.Saga, action)
		return s.n.Reply(msg, map[string]any{"type": "saga_" + action + "_ok", "saga": b.Saga, "ok": r.OK, "state": r.State})
	}
}

// read returns this service's state for one saga, or a summary.
func (s *node) read(msg maelstrom.Message) error {
	var b sagaMsg
	_ = json.Unmarshal(msg.Body, &b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Saga != "" {
		return s.n.Reply(msg, map[string]any{"type": "read_ok", "saga": b.Saga, "service": s.role, "state": s.state(b.Saga)})
	}
	pairs, _ := s.kv.Scan("state/")
	counts := map[string]int{}
	for _, p := range pairs {
		counts[string(p.Value)]++
	}
	reply := map[string]any{"type": "read_ok", "service": s.role, "states": counts}
	if s.role == "inventory" {
		reply["stock"] = s.stock()
	}
	return s.n.Reply(msg, reply)
}

// ---- choreography: events through a synced outbox ----

// next says which event a service publishes, and to whom, after handling
// one: "ok" and "fail" outcomes of its local transaction.
type route struct {
	action       string
	okEv, okTo   string
	badEv, badTo string
}

var routes = map[string]map[string]route{
	"payment": {
		"OrderCreated":    {"do", "PaymentDone", "inventory", "PaymentFailed", "order"},
		"InventoryFailed": {"compensate", "PaymentFailed", "order", "PaymentFailed", "order"},
	},
	"inventory": {
		"PaymentDone":    {"do", "InventoryReserved", "shipping", "InventoryFailed", "payment"},
		"ShippingFailed": {"compensate", "InventoryFailed", "payment", "InventoryFailed", "payment"},
	},
	"shipping": {
		"InventoryReserved": {"do", "ShippingScheduled", "order", "ShippingFailed", "inventory"},
	},
}

func outboxKey(to, saga, ev string) string { return "outbox/" + to + "/" + saga + "/" + ev }

// publish stores an event in the outbox (the caller syncs) and sends it.
func (s *node) publish(to, saga, ev string) {
	_ = s.kv.Put(outboxKey(to, saga, ev), nil)
	_ = s.n.Send(to, sagaMsg{Type: "event", Saga: saga, Name: ev})
}

func (s *node) event(msg maelstrom.Message) error {
	var b sagaMsg
	if err := json.Unmarshal(msg.Body, &b); err != nil || b.Saga == "" {
		return nil
	}
	ack := sagaMsg{Type: "event_ack", Saga: b.Saga, Event: b.Name}
	seen := "in/" + b.Saga + "/" + b.Name
	if _, ok, _ := s.kv.Get(seen); ok {
		return s.n.Send(msg.Src, ack)
	}
	if s.role == "order" {
		switch b.Name {
		case "ShippingScheduled":
			s.apply(b.Saga, "confirm")
			s.end(b.Saga, "committed")
		case "PaymentFailed":
			s.apply(b.Saga, "compensate")
			s.end(b.Saga, "compensated")
		}
	} else if rt, ok := routes[s.role][b.Name]; ok {
		if r := s.apply(b.Saga, rt.action); r.OK {
			s.publish(rt.okTo, b.Saga, rt.okEv)
		} else {
			s.publish(rt.badTo, b.Saga, rt.badEv)
		}
	}
	_ = s.kv.Put(seen, nil)
	_ = s.kv.Sync()
	return s.n.Send(msg.Src, ack)
}

func (s *node) eventAck(msg maelstrom.Message) error {
	var b sagaMsg
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return nil
	}
	return s.kv.Delete(outboxKey(msg.Src, b.Saga, b.Event))
}

func (s *node) resendOutbox() {
	pairs, err := s.kv.Scan("outbox/")
	if err != nil {
		return
	}
	for _, p := range pairs {
		parts := strings.Split(strings.TrimPrefix(p.Key, "outbox/"), "/")
		if len(parts) != 3 {
			continue
		}
		_ = s.n.Send(parts[0], sagaMsg{Type: "event", Saga: parts[1], Name: parts[2]})
	}
}

// placeOrder starts a choreographed saga at the order service.
func (s *node) placeOrder(msg maelstrom.Message) error {
	var b sagaMsg
	if err := json.Unmarshal(msg.Body, &b); err != nil || b.Saga == "" {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "want a saga id")
	}
	if s.p.Style != "choreography" {
		return maelstrom.NewRPCError(maelstrom.NotSupported, "orchestration: send orders to the orchestrator")
	}
	if out, ok, _ := s.kv.Get("end/" + b.Saga); ok {
		return s.n.Reply(msg, map[string]any{"type": "order_ok", "saga": b.Saga, "outcome": string(out)})
	}
	s.mu.Lock()
	s.waiters[b.Saga] = append(s.waiters[b.Saga], msg)
	s.mu.Unlock()
	if _, ok, _ := s.kv.Get("in/" + b.Saga + "/Order"); ok {
		return nil // already started; the reply comes at its end
	}
	if r := s.apply(b.Saga, "do"); r.OK {
		s.publish("payment", b.Saga, "OrderCreated")
	}
	_ = s.kv.Put("in/"+b.Saga+"/Order", nil)
	return s.kv.Sync()
}

// end records a choreographed saga's outcome once and answers its client.
func (s *node) end(saga, outcome string) {
	if _, ok, _ := s.kv.Get("end/" + saga); !ok {
		_ = s.kv.Put("end/"+saga, []byte(outcome))
		_ = s.kv.Sync()
		s.n.Emit("saga_end", map[string]any{"saga": saga, "outcome": outcome})
	}
	s.mu.Lock()
	ws := s.waiters[saga]
	delete(s.waiters, saga)
	s.mu.Unlock()
	for _, w := range ws {
		_ = s.n.Reply(w, map[string]any{"type": "order_ok", "saga": saga, "outcome": outcome})
	}
}

// ---- orchestration ----

// sagaRec is the orchestrator's saga log entry.
type sagaRec struct {
	ID      string `json:"id"`
	Phase   string `json:"phase"` // do, compensate, confirm
	Step    int    `json:"step"`  // index into steps
	Failed  string `json:"failed,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}

func (s *node) persist(r sagaRec) {
	b, _ := json.Marshal(r)
	_ = s.kv.Put("saga/"+r.ID, b)
	_ = s.kv.Sync()
}

func (s *node) orchestrate(msg maelstrom.Message) error {
	var b sagaMsg
	if err := json.Unmarshal(msg.Body, &b); err != nil || b.Saga == "" {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "want a saga id")
	}
	s.mu.Lock()
	raw, known, _ := s.kv.Get("saga/" + b.Saga)
	if known {
		var r sagaRec
		_ = json.Unmarshal(raw, &r)
		if r.Outcome != "" {
			s.mu.Unlock()
			return s.n.Reply(msg, map[string]any{"type": "order_ok", "saga": b.Saga, "outcome": r.Outcome})
		}
		s.waiters[b.Saga] = append(s.waiters[b.Saga], msg)
		s.mu.Unlock()
		return nil // running (or resumed): answered at its end
	}
	s.waiters[b.Saga] = append(s.waiters[b.Saga], msg)
	r := sagaRec{ID: b.Saga, Phase: "do"}
	s.persist(r)
	s.mu.Unlock()
	s.run(r)
	return nil
}

// call sends one command to a service until it answers.
func (s *node) call(to, action, saga string) bool {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*s.retry)
		m, err := s.n.SyncRPC(ctx, to, sagaMsg{Type: "saga_" + action, Saga: saga})
		cancel()
		if err == nil {
			var r result
			_ = json.Unmarshal(m.Body, &r)
			return r.OK
		}
		var rpcErr *maelstrom.RPCError
		if errors.As(err, &rpcErr) {
			s.n.Logf(maelstrom.LevelWarn, "%s %s for %s: %v", action, to, saga, err)
		}
		time.Sleep(s.retry / 2)
	}
}

// run drives a saga from its logged position to its end.
func (s *node) run(r sagaRec) {
	for r.Outcome == "" {
		switch r.Phase {
		case "do":
			if r.Step >= len(steps) {
				r.Phase = "confirm"
				break
			}
			if s.call(steps[r.Step], "do", r.ID) {
				r.Step++
			} else {
				r.Failed = steps[r.Step]
				r.Phase = "compensate"
				r.Step--
			}
		case "compensate":
			if r.Step < 0 {
				r.Outcome = "compensated"
				break
			}
			s.call(steps[r.Step], "compensate", r.ID)
			r.Step--
		case "confirm":
			s.call("order", "confirm", r.ID)
			r.Outcome = "committed"
		default:
			r.Outcome = "compensated"
		}
		s.mu.Lock()
		s.persist(r)
		s.mu.Unlock()
	}
	s.n.Emit("saga_end", map[string]any{"saga": r.ID, "outcome": r.Outcome})
	s.mu.Lock()
	ws := s.waiters[r.ID]
	delete(s.waiters, r.ID)
	s.mu.Unlock()
	for _, w := range ws {
		_ = s.n.Reply(w, map[string]any{"type": "order_ok", "saga": r.ID, "outcome": r.Outcome})
	}
}
