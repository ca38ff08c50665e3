package playground

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// maxInFlight caps the messages on their way GET /runs/{id}/next lists.
const maxInFlight = 200

// NextEvent is one event a paused run may dispatch next. Pick is what
// POST /runs/{id}/next takes to dispatch it; 0 is the loop's own order.
type NextEvent struct {
	Pick  int    `json:"pick"`
	Label string `json:"label"`
	Kind  string `json:"kind"`
	Node  string `json:"node,omitempty"`
	From  string `json:"from,omitempty"`
}

// InFlightMsg is a message on its way; Due says it is among the events
// a pick may dispatch next (due at the next instant).
type InFlightMsg struct {
	AtNS  int64  `json:"at_ns"`
	Msg   uint64 `json:"msg"`
	Label string `json:"label"`
	From  string `json:"from"`
	To    string `json:"to"`
	Due   bool   `json:"due"`
}

// NextView is GET /runs/{id}/next: where the run stands, the events due
// at the next instant (DueAtNS; the choices) and the messages on their
// way.
type NextView struct {
	Seq      uint64        `json:"seq"`
	Step     uint64        `json:"step"`
	NowNS    int64         `json:"now_ns"`
	DueAtNS  int64         `json:"due_at_ns"`
	Due      []NextEvent   `json:"due"`
	InFlight []InFlightMsg `json:"in_flight"`
}

type nextReq struct {
	Pick *int `json:"pick"`
}

// nextView lists what the run may do next (Run.Due, Run.InFlight).
func nextView(rr *runner.Run) NextView {
	v := NextView{Seq: rr.Stats().Events, Step: rr.Steps() + 1, NowNS: int64(rr.Now()), Due: []NextEvent{}, InFlight: []InFlightMsg{}}
	names := func(i int32) string {
		if ns := rr.Nodes(); i >= 0 && int(i) < len(ns) {
			return ns[i].Name
		}
		return ""
	}
	if at, ok := rr.Next(); ok {
		v.DueAtNS = int64(at)
	}
	due := map[string]bool{}
	for pick, o := range rr.Due() {
		kind, _, _ := strings.Cut(o.Label, " ")
		v.Due = append(v.Due, NextEvent{Pick: pick, Label: o.Label, Kind: kind, Node: names(o.Node), From: names(o.From)})
		due[o.Label] = true
	}
	for _, m := range rr.InFlight(maxInFlight) {
		v.InFlight = append(v.InFlight, inFlightMsg(m, due[m.Option.Label]))
	}
	return v
}

// inFlightMsg reads a queued delivery's sender and receiver off its label
// ("deliver a→b #7"), which names clients too.
func inFlightMsg(m sim.InFlight, due bool) InFlightMsg {
	out := InFlightMsg{AtNS: int64(m.At), Msg: m.Msg, Label: m.Option.Label, Due: due}
	ends, _, _ := strings.Cut(strings.TrimPrefix(m.Option.Label, "deliver "), " #")
	out.From, out.To, _ = strings.Cut(ends, "→")
	return out
}

// runNext lists the events a paused run may dispatch next.
func (s *Server) runNext(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	var v NextView
	err = r.withSim(c.Request().Context(), func(rr *runner.Run) error { v = nextView(rr); return nil })
	if errors.Is(err, errRunFinished) {
		return apiErr(http.StatusConflict, "conflict", "run %s has finished: nothing is due; seek back to choose at an earlier moment", r.id)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// chooseNext dispatches the event a person picked among those due next and
// records the pick on the run's timeline (a schedule decision).
func (s *Server) chooseNext(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	var req nextReq
	if err := s.bindJSON(c, &req); err != nil {
		return err
	}
	if req.Pick == nil {
		return apiErr(http.StatusBadRequest, "bad_request", "next takes {\"pick\": N}, N one of the picks GET /runs/%s/next lists", r.id)
	}
	r.mu.Lock()
	st := r.snapshotLocked()
	r.mu.Unlock()
	if st.finished {
		return apiErr(http.StatusConflict, "conflict", "run %s has finished: seek back and fork to choose at an earlier moment", r.id)
	}
	if st.rewound {
		return apiErr(http.StatusConflict, "conflict", "run %s is rewound to event %d of %d: choosing here forks a new timeline (POST /runs/%s/fork)", r.id, st.seq, st.maxSeq, r.id)
	}
	r.setState(statePaused, nil)
	if err := r.choose(c.Request().Context(), *req.Pick); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.snapshot())
}

// choose dispatches the pick-th event due next and records the choice.
func (r *run) choose(ctx context.Context, pick int) error {
	r.op.Lock()
	defer r.op.Unlock()
	if err := r.ensure(ctx); err != nil {
		return err
	}
	_, err := r.cur.Choose(ctx, pick)
	var refused *runner.ActionError
	if errors.As(err, &refused) {
		return apiErr(http.StatusBadRequest, "bad_request", "%v", refused.Err)
	}
	if err != nil {
		return err
	}
	r.checkNow(ctx)
	r.persist()
	return nil
}
