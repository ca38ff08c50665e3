package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// runEvents streams a run's trace and status as server-sent events. Each
// client reads through a bounded subscription; a client that falls behind
// loses live events and is caught up from the retained trace instead, so
// no client can make the server hold more than its buffer for it.
func (s *Server) runEvents(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	from, err := queryInt(c, "from", 0, 0, math.MaxInt32)
	if err != nil {
		return err
	}
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		e := apiErr(http.StatusTooManyRequests, "busy", "the server has %d live event streams open, its maximum; close one or poll the paged trace", s.cfg.maxStreams)
		e.RetryAfter = 5
		return e
	}
	r.watchers.Add(1)
	defer r.watchers.Add(-1)
	ctx := c.Request().Context()
	send := sse(c)
	next := uint64(from) // events sent: seq 1..next
	gen := -1
	// The status first, before anything that waits for the run's lock.
	if err := send("status", r.snapshot()); err != nil {
		return nil
	}
	for ctx.Err() == nil {
		// (Re)subscribe to the current simulation, then catch up from the
		// retained trace; the subscription's events overlap and are skipped.
		var sub interface {
			Lagged() uint64
			Close()
		}
		var ch <-chan trace.Event
		r.mu.Lock()
		closedDone := r.result != nil
		r.mu.Unlock()
		if !closedDone {
			if err := r.withSim(ctx, func(*runner.Run) error { return nil }); err != nil && !errors.Is(err, errRunFinished) {
				_ = send("error", map[string]string{"message": err.Error()})
				return nil
			}
		}
		r.op.Lock()
		g := r.cur.Generation()
		if sb := r.cur.Subscribe(s.cfg.subBuffer); sb != nil {
			sub, ch = sb, sb.C
		}
		r.op.Unlock()
		if gen >= 0 && g != gen {
			// The simulation was rebuilt (a seek back): start over.
			next = 0
			if err := send("reset", map[string]uint64{"seq": r.snapshot().Seq}); err != nil {
				return nil
			}
		}
		gen = g
		// The status goes first, and again whenever it changes while the
		// client catches up: a run that races ahead of a client never
		// holds its status back behind its events.
		st := newStatusPush(r)
		err := st.send(send)
		if err == nil {
			err = s.catchUp(ctx, r, &next, send, st)
		}
		if err == nil {
			err = st.send(send)
		}
		if err != nil {
			if sub != nil {
				sub.Close()
			}
			return nil
		}
		if sub == nil {
			return nil
		}
		lagged := sub.Lagged()
		if err := s.pump(ctx, r, ch, sub.Lagged, &lagged, &next, send, st); err != nil {
			sub.Close()
			return nil
		}
		sub.Close()
		// The subscription ended: the simulation closed or was rebuilt.
		r.mu.Lock()
		gone := !r.cur.Loaded() && r.result != nil
		r.mu.Unlock()
		if gone {
			_ = send("status", r.snapshot())
			return nil
		}
	}
	return nil
}

// statusPush sends a run's status when it has changed since it last sent
// it: many changes between two sends make one (the newest).
type statusPush struct {
	r       *run
	changed chan struct{}
}

func newStatusPush(r *run) *statusPush {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &statusPush{r: r, changed: r.changed}
}

// send sends the status now.
func (p *statusPush) send(send func(string, any) error) error {
	p.r.mu.Lock()
	p.changed = p.r.changed
	p.r.mu.Unlock()
	return send("status", p.r.snapshot())
}

// ifChanged sends the status if it changed since the last send.
func (p *statusPush) ifChanged(send func(string, any) error) error {
	select {
	case <-p.changed:
		return p.send(send)
	default:
		return nil
	}
}

// sse starts a server-sent event stream and returns what sends one event
// (its data: v as JSON), flushed at once. The stream is long-lived, so
// the server's read deadline is lifted off it (keepReading).
func sse(c echo.Context) func(string, any) error {
	keepReading(c)
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return func(event string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
}

// catchUp sends the retained trace after *next in pages bounded in events
// and bytes, each built from the events' own JSON, with the status between
// pages when it changed.
func (s *Server) catchUp(ctx context.Context, r *run, next *uint64, send func(string, any) error, st *statusPush) error {
	for {
		if err := st.ifChanged(send); err != nil {
			return err
		}
		buf, count, _, err := r.eventsJSON(ctx, int(*next), streamPageEvents, streamPageBytes)
		if err != nil {
			return err
		}
		if count == 0 {
			return nil
		}
		if err := send("trace", json.RawMessage(append(append([]byte{'['}, buf...), ']'))); err != nil {
			return err
		}
		*next += uint64(count)
	}
}

// pump forwards live events in batches and the status when it changes.
func (s *Server) pump(ctx context.Context, r *run, ch <-chan trace.Event, laggedFn func() uint64, lagged *uint64, next *uint64, send func(string, any) error, st *statusPush) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var batch []trace.Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := send("trace", batch)
		batch = batch[:0]
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-ch:
			if !ok {
				return flush()
			}
			if e.Seq <= *next {
				continue
			}
			if e.Seq != *next+1 {
				// A gap: events were dropped for this client.
				if err := flush(); err != nil {
					return err
				}
				if err := s.catchUp(ctx, r, next, send, st); err != nil {
					return err
				}
				if e.Seq != *next+1 {
					continue
				}
			}
			batch = append(batch, e)
			*next = e.Seq
			if len(batch) >= 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-t.C:
			if err := flush(); err != nil {
				return err
			}
			if l := laggedFn(); l != *lagged {
				if err := send("lagged", map[string]uint64{"dropped": l - *lagged, "resume": *next}); err != nil {
					return err
				}
				*lagged = l
				if err := s.catchUp(ctx, r, next, send, st); err != nil {
					return err
				}
			}
		case <-st.changed:
			if err := flush(); err != nil {
				return err
			}
			if err := st.send(send); err != nil {
				return err
			}
		}
	}
}
