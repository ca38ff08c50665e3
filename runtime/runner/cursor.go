package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/fault"
)

// ErrSuspended is returned by Cursor.Do while the cursor holds no
// simulation (before its first move, or after Suspend).
var ErrSuspended = errors.New("runner: the cursor is suspended: resume it first")

// ErrPastEnd is wrapped by Seek and Replay when the run ends before the
// event sought; the cursor then stands at the run's end.
var ErrPastEnd = errors.New("runner: past the end of the run")

// ActionError is a fault Apply refused (it is invalid, names an unknown
// node, the run has finished, or the cursor is rewound). The run is as it
// was before the call.
type ActionError struct{ Err error }

// Error returns the refused fault's reason.
func (e *ActionError) Error() string { return e.Err.Error() }

// Unwrap returns the reason, for errors.Is and errors.As.
func (e *ActionError) Unwrap() error { return e.Err }

// Position is where a cursor stands on its timeline: the loop events run
// (Steps), the virtual time (Now) and the trace's length (Seq). Seek and
// fork points are trace lengths; Steps and Now place the cursor exactly,
// even between two events of one instant.
type Position struct {
	Steps uint64
	Now   time.Duration
	Seq   uint64
}

// CallFunc runs fn on a cursor's simulation. The default is Cursor.Do; a
// caller that meters or observes every move supplies its own (WithCall),
// which must run fn through Cursor.Do.
type CallFunc func(ctx context.Context, fn func(*Run) error) error

// Cursor owns one run over a timeline and moves it: Apply acts now and
// records the action on the timeline, Seek moves forward by stepping and
// back by replaying from the start, Fork cuts the timeline where the cursor
// stands, and Suspend drops the simulation (and its Wasm instances) while
// Resume rebuilds it exactly where it was, to the same digest.
//
// The simulation is a cache of the timeline: it can always be rebuilt by
// replay. Moves must not run concurrently; the read-only accessors
// (Timeline, Position, Loaded, Generation) may be called from any goroutine.
type Cursor struct {
	opts Options
	call CallFunc

	mu     sync.Mutex
	tl     Timeline
	pos    Position
	h      *Handle
	cancel context.CancelFunc
	gen    int
}

// NewCursor returns a cursor at the start of tl, suspended: its first move
// (Seek, Resume, Apply) builds the simulation. opts configure every run it
// builds; the timeline's seed overrides theirs.
func NewCursor(tl Timeline, opts Options) *Cursor {
	return NewCursorAt(tl, opts, Position{})
}

// NewCursorAt returns a suspended cursor at pos on tl, such as one saved
// from Position: Resume rebuilds the run there.
func NewCursorAt(tl Timeline, opts Options, pos Position) *Cursor {
	return &Cursor{opts: opts.WithSeed(tl.Seed()), tl: tl, pos: pos}
}

// WithCall makes the cursor's own moves (Apply, Seek, Replay, Resume) run
// through call instead of Do, and returns c. Set it before the first move.
func (c *Cursor) WithCall(call CallFunc) *Cursor {
	c.call = call
	return c
}

// Timeline returns the cursor's timeline, with every action applied so far.
func (c *Cursor) Timeline() Timeline {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tl
}

// Position returns where the cursor stood after its last call.
func (c *Cursor) Position() Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pos
}

// Loaded reports whether the cursor holds a simulation.
func (c *Cursor) Loaded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h != nil
}

// Generation counts the simulations the cursor has built: it changes each
// time the run is rebuilt (a seek back, a resume).
func (c *Cursor) Generation() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Subscribe subscribes to the trace events of the simulation held now
// (see Handle.Subscribe); it returns nil while the cursor is suspended.
// The subscription ends when the cursor rebuilds or suspends the run.
func (c *Cursor) Subscribe(buffer int) *Subscription {
	if h := c.handle(); h != nil {
		return h.Subscribe(buffer)
	}
	return nil
}

// handle returns the handle of the simulation held now, nil while
// suspended.
func (c *Cursor) handle() *Handle {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h
}

// Cancel cancels the context of the simulation held now: the move in
// progress and every later one fail with context.Canceled until the run
// is rebuilt.
func (c *Cursor) Cancel() {
	c.mu.Lock()
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Do runs fn on the simulation's owner goroutine (see Handle.Do) and
// records where the run stands afterwards. It returns ErrSuspended while
// the cursor holds no simulation. A fault applied by fn with Run.Apply is
// not recorded on the timeline: use Apply.
func (c *Cursor) Do(ctx context.Context, fn func(*Run) error) error {
	h := c.handle()
	if h == nil {
		return ErrSuspended
	}
	return h.Do(ctx, func(rr *Run) error {
		err := fn(rr)
		c.mu.Lock()
		if c.h == h {
			c.pos = Position{Steps: rr.Steps(), Now: rr.Now(), Seq: rr.Stats().Events}
		}
		c.mu.Unlock()
		return err
	})
}

// move runs fn through the cursor's call function.
func (c *Cursor) move(ctx context.Context, fn func(*Run) error) error {
	if c.call != nil {
		return c.call(ctx, fn)
	}
	return c.Do(ctx, fn)
}

// Apply applies f now, between the event that ran last and the next one,
// and appends it to the timeline pinned there. It resumes a suspended
// cursor first. A fault the run refuses, or one applied where the timeline
// already has later actions (seek back and Fork to act there), is an
// *ActionError.
func (c *Cursor) Apply(ctx context.Context, f fault.Fault) (Action, error) {
	if err := c.Resume(ctx); err != nil {
		return Action{}, err
	}
	if p := c.Position(); c.Timeline().later(p) {
		return Action{}, &ActionError{Err: fmt.Errorf("runner: the cursor is at event %d, before actions applied later on its timeline: fork to act here", p.Seq)}
	}
	var a Action
	err := c.move(ctx, func(rr *Run) error {
		if err := rr.Apply(f); err != nil {
			return &ActionError{Err: err}
		}
		a = Action{Fault: rr.manual[len(rr.manual)-1], Seq: rr.Stats().Events}
		c.mu.Lock()
		c.tl = c.tl.With(a)
		c.mu.Unlock()
		return nil
	})
	return a, err
}

// Choose dispatches the pick-th of the events due next (Run.Due) instead
// of the loop's own first, and appends the choice to the timeline as a
// schedule decision, so that a replay or an export takes it again. Pick
// 0 is the loop's own order: the event runs and nothing is recorded (the
// returned Action is the zero one). Like Apply, it refuses to act where
// the timeline has later actions; a pick Due does not list is an
// *ActionError.
func (c *Cursor) Choose(ctx context.Context, pick int) (Action, error) {
	if err := c.Resume(ctx); err != nil {
		return Action{}, err
	}
	if p := c.Position(); c.Timeline().later(p) {
		return Action{}, &ActionError{Err: fmt.Errorf("runner: the cursor is at event %d, before actions applied later on its timeline: fork to choose here", p.Seq)}
	}
	var a Action
	err := c.move(ctx, func(rr *Run) error {
		if n := len(rr.Due()); pick < 0 || pick >= n {
			return &ActionError{Err: fmt.Errorf("runner: pick %d: %d events are due next", pick, n)}
		}
		d, err := rr.StepPick(pick)
		if err != nil || d.Kind == "" {
			return err
		}
		a = Action{Decision: d, Seq: rr.Stats().Events}
		c.mu.Lock()
		c.tl = c.tl.With(a)
		c.mu.Unlock()
		return nil
	})
	return a, err
}

// Seek moves the cursor to event seq of its timeline (the trace holding
// seq events): forward by stepping, back (or from a suspended cursor) by
// replaying the timeline from the start. If the run ends first, the cursor
// stays at its end and Seek returns an error wrapping ErrPastEnd.
func (c *Cursor) Seek(ctx context.Context, seq uint64) error {
	if c.Loaded() && seq >= c.Position().Seq {
		if err := c.move(ctx, func(rr *Run) error { return rr.StepTo(seq) }); err != nil {
			return err
		}
		return c.reached(seq)
	}
	return c.Replay(ctx, seq)
}

// Replay rebuilds the run from the start, with every action of the
// timeline pinned where it happened, and steps it to event seq (as Seek).
func (c *Cursor) Replay(ctx context.Context, seq uint64) error {
	if err := c.load(c.Timeline().actions); err != nil {
		return err
	}
	err := c.move(ctx, func(rr *Run) error {
		if seq == 0 {
			return nil
		}
		return rr.StepTo(seq)
	})
	if err != nil {
		return err
	}
	return c.reached(seq)
}

// reached says whether the last move reached event seq.
func (c *Cursor) reached(seq uint64) error {
	if p := c.Position(); p.Seq < seq {
		return fmt.Errorf("%w: event %d sought, the run ends at event %d", ErrPastEnd, seq, p.Seq)
	}
	return nil
}

// Fork returns the timeline cut where the cursor stands: the actions
// applied up to now. A new cursor on it replays to this moment, where it
// may act differently.
func (c *Cursor) Fork() Timeline {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tl.Cut(c.pos.Seq)
}

// Suspend closes the simulation, releasing its memory and Wasm instances;
// the cursor keeps its timeline and position. It is safe to call on a
// suspended cursor.
func (c *Cursor) Suspend() {
	c.mu.Lock()
	h, cancel := c.h, c.cancel
	c.h, c.cancel = nil, nil
	c.mu.Unlock()
	if h != nil {
		h.Close()
		cancel()
	}
}

// Close suspends the cursor: it holds nothing that needs releasing after.
func (c *Cursor) Close() { c.Suspend() }

// Resume rebuilds a suspended cursor's simulation by replay, exactly where
// it stood: same events run, same virtual time, same digest. It does
// nothing while the cursor holds a simulation.
func (c *Cursor) Resume(ctx context.Context) error {
	if c.Loaded() {
		return nil
	}
	c.mu.Lock()
	pos, acts := c.pos, c.tl.actions
	c.mu.Unlock()
	pins, restore := restorePlan(acts, pos)
	if err := c.load(pins); err != nil {
		return err
	}
	return c.move(ctx, restore)
}

// load starts a new simulation of the timeline with acts pinned, at
// virtual time 0, in place of the one held.
func (c *Cursor) load(acts []Action) error {
	c.Suspend()
	c.mu.Lock()
	scn := c.tl.export(acts)
	c.mu.Unlock()
	// The run outlives the call that builds it: its context ends with
	// Suspend or Cancel, never with a caller's.
	rctx, cancel := context.WithCancel(context.Background())
	h, err := Start(rctx, scn, c.opts)
	if err != nil {
		cancel()
		return err
	}
	c.mu.Lock()
	c.h, c.cancel = h, cancel
	c.pos = Position{}
	c.gen++
	c.mu.Unlock()
	return nil
}

// restorePlan rebuilds a run exactly at pos: after pos.Steps loop events,
// with the actions applied there by hand (pinned before event Steps+1 and
// already in the trace at pos.Seq) applied by hand again at their times,
// and the clock at pos.Now. Every other action stays pinned. Stepping to a
// trace length instead would run the event after such an action too.
func restorePlan(acts []Action, pos Position) ([]Action, func(*Run) error) {
	var pins, here []Action
	for _, a := range acts {
		if a.Fault.BeforeEvent == pos.Steps+1 && a.Seq <= pos.Seq {
			here = append(here, a)
		} else {
			pins = append(pins, a)
		}
	}
	return pins, func(rr *Run) error {
		for rr.Steps() < pos.Steps {
			if ok, err := rr.Step(); err != nil || !ok {
				return err
			}
		}
		for _, a := range here {
			if a.Fault.At > rr.Now() {
				if err := rr.AdvanceTo(a.Fault.At); err != nil {
					return err
				}
			}
			if err := rr.Apply(a.Fault.Fault); err != nil {
				return err
			}
		}
		if pos.Now > rr.Now() {
			return rr.AdvanceTo(pos.Now)
		}
		return nil
	}
}
