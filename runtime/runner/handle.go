package runner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// ErrClosed is returned by a Handle that has been closed.
var ErrClosed = errors.New("runner: the run handle is closed")

// Handle drives a Run from any number of goroutines. One goroutine, started
// by Start, owns the run; every other goroutine talks to it by message: Do
// sends it a function to run on the run and waits for its answer. So the
// simulation is never touched by two goroutines at once, and the order in
// which requests reach the owner is the only order there is.
type Handle struct {
	reqs   chan request
	done   chan struct{}
	closed sync.Once

	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

type request struct {
	fn    func(*Run) error
	reply chan error // buffered: the owner never blocks on a caller gone away
}

// Start prepares a run and starts the goroutine that owns it.
func Start(ctx context.Context, scn *scenario.Scenario, opts Options) (*Handle, error) {
	r, err := Prepare(ctx, scn, opts)
	if err != nil {
		return nil, err
	}
	h := &Handle{reqs: make(chan request), done: make(chan struct{}), subs: map[*Subscription]struct{}{}}
	r.Observe(h.publish)
	go h.own(r)
	return h, nil
}

// own is the owner goroutine: it runs requests one at a time until Close.
func (h *Handle) own(r *Run) {
	defer func() {
		r.Close()
		h.mu.Lock()
		for s := range h.subs {
			s.end()
		}
		clear(h.subs)
		h.mu.Unlock()
	}()
	for {
		select {
		case req := <-h.reqs:
			req.reply <- req.fn(r)
		case <-h.done:
			return
		}
	}
}

// Do runs fn on the owner goroutine and returns its error. fn must not keep
// the *Run, nor call the Handle (that would wait on itself). If ctx ends
// first, Do returns ctx's error; fn may still run.
func (h *Handle) Do(ctx context.Context, fn func(*Run) error) error {
	req := request{fn: fn, reply: make(chan error, 1)}
	select {
	case h.reqs <- req:
	case <-h.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the owner goroutine and releases the run. A request being
// run finishes first.
func (h *Handle) Close() {
	h.closed.Do(func() { close(h.done) })
}

// Subscribe returns a subscription to the run's trace events from now on.
// Its channel holds up to buffer events; when a subscriber falls further
// behind, events are dropped for it (never for the run or for other
// subscribers) and counted, so a slow reader cannot grow memory. A reader
// that sees Lagged grow resynchronises from Run.Events.
func (h *Handle) Subscribe(buffer int) *Subscription {
	s := &Subscription{c: make(chan trace.Event, max(buffer, 1)), h: h}
	s.C = s.c
	h.mu.Lock()
	select {
	case <-h.done:
		s.end()
	default:
		h.subs[s] = struct{}{}
	}
	h.mu.Unlock()
	return s
}

// publish hands an event to every subscriber without blocking.
func (h *Handle) publish(e trace.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.c <- e:
		default:
			s.lagged.Add(1)
		}
	}
}

// Subscription is a bounded stream of a run's trace events.
type Subscription struct {
	// C receives the events; it is closed when the subscription or the
	// handle is.
	C <-chan trace.Event

	c      chan trace.Event
	h      *Handle
	lagged atomic.Uint64
	once   sync.Once
}

// Lagged returns how many events were dropped because C was full.
func (s *Subscription) Lagged() uint64 { return s.lagged.Load() }

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	if _, ok := s.h.subs[s]; ok {
		delete(s.h.subs, s)
		s.end()
	}
}

func (s *Subscription) end() { s.once.Do(func() { close(s.c) }) }
