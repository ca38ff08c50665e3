package playground

import (
	"context"
	"encoding/json"
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
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := c.Request().Context()
	send := func(event string, v any) error {
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
	next := uint64(from) // events sent: seq 1..next
	gen := -1
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
			if err := r.withSim(ctx, func(*runner.Run) error { return nil }); err != nil {
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
		if err := s.catchUp(ctx, r, &next, send); err != nil {
			if sub != nil {
				sub.Close()
			}
			return nil
		}
		st := r.snapshot()
		if err := send("status", st); err != nil {
			if sub != nil {
				sub.Close()
			}
			return nil
		}
		if sub == nil {
			return nil
		}
		lagged := sub.Lagged()
		if err := s.pump(ctx, r, ch, sub.Lagged, &lagged, &next, send); err != nil {
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

// catchUp sends the retained trace after *next in pages bounded in events
// and bytes, each built from the events' own JSON.
func (s *Server) catchUp(ctx context.Context, r *run, next *uint64, send func(string, any) error) error {
	for {
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
func (s *Server) pump(ctx context.Context, r *run, ch <-chan trace.Event, laggedFn func() uint64, lagged *uint64, next *uint64, send func(string, any) error) error {
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
	r.mu.Lock()
	changed := r.changed
	r.mu.Unlock()
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
				if err := s.catchUp(ctx, r, next, send); err != nil {
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
				if err := s.catchUp(ctx, r, next, send); err != nil {
					return err
				}
			}
		case <-changed:
			if err := flush(); err != nil {
				return err
			}
			r.mu.Lock()
			changed = r.changed
			r.mu.Unlock()
			if err := send("status", r.snapshot()); err != nil {
				return err
			}
		}
	}
}
