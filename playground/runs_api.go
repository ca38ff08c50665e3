package playground

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func (s *Server) runRoutes(api *echo.Group) {
	api.POST("/runs", s.createRun)
	api.GET("/runs", s.listRuns)
	api.GET("/runs/:id", s.getRun)
	api.DELETE("/runs/:id", s.deleteRun)
	api.GET("/runs/:id/results", s.runResults)
	api.GET("/runs/:id/trace", s.runTrace)
	api.GET("/runs/:id/files", s.runFiles)
	api.GET("/runs/:id/files/:file", s.runFile)
	api.GET("/runs/:id/events", s.runEvents)
	api.GET("/runs/:id/nodes", s.runNodes)
	api.GET("/runs/:id/nodes/:node", s.runNode)
	api.POST("/runs/:id/control", s.controlRun)
	api.POST("/runs/:id/faults", s.applyFault)
	api.POST("/runs/:id/seek", s.seekRun)
	api.GET("/runs/:id/next", s.runNext)
	api.POST("/runs/:id/next", s.chooseNext)
	api.POST("/runs/:id/fork", s.forkRun)
	api.GET("/runs/:id/export", s.exportRun)
	api.GET("/runs/:id/source", s.runSource)
	api.POST("/bundles", s.importBundle)
}

// bindJSON decodes a capped JSON body into v, refusing unknown fields.
func (s *Server) bindJSON(c echo.Context, v any) error {
	b, err := readBody(c, s.cfg.maxBody, "request body")
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apiErr(http.StatusBadRequest, "bad_request", "request body: %v", err)
	}
	return nil
}

type createRunReq struct {
	Scenario string   `json:"scenario"`
	Pattern  string   `json:"pattern"`
	File     string   `json:"file"`
	Name     string   `json:"name"`
	Seed     *uint64  `json:"seed"`
	Start    bool     `json:"start"`
	Speed    *float64 `json:"speed"`
	// Seq creates the run at that event (a bundle's or a link's
	// position), by replay.
	Seq uint64 `json:"seq"`
}

func (s *Server) createRun(c echo.Context) error {
	var req createRunReq
	if err := s.bindJSON(c, &req); err != nil {
		return err
	}
	base := ""
	name := req.Name
	if req.File != "" && name == "" {
		name = req.File
	}
	if req.Pattern != "" {
		p, err := s.gallery.get(req.Pattern)
		if err != nil {
			return err
		}
		base = p.Dir
		if name == "" {
			name = "scenario.yaml"
		}
		if req.Scenario == "" {
			text, ok := p.Contents[name]
			if !ok {
				return apiErr(http.StatusNotFound, "not_found", "pattern %s has no file %q (files: %s)", p.Name, name, strings.Join(p.Files, ", "))
			}
			req.Scenario = text
		}
		name = p.Name + "/" + name
	}
	if name == "" {
		name = "scenario.yaml"
	}
	if strings.TrimSpace(req.Scenario) == "" {
		return apiErr(http.StatusBadRequest, "bad_request", "no scenario: send its text in \"scenario\", or name a pattern")
	}
	if req.Speed != nil && (*req.Speed < 0 || math.IsNaN(*req.Speed) || *req.Speed > 1000) {
		return apiErr(http.StatusBadRequest, "bad_request", "speed %v is outside 0..1000", *req.Speed)
	}
	scn, err := runner.Parse(name, []byte(req.Scenario), s.reg)
	if err != nil {
		if se := scenarioError(err); se != nil {
			return se
		}
		return apiErr(http.StatusUnprocessableEntity, "scenario", "%v", err)
	}
	if err := s.resolveModules(scn, base); err != nil {
		return err
	}
	if err := s.checkLimits(scn); err != nil {
		return err
	}
	if err := s.checkRunSpace(); err != nil {
		return err
	}
	seed := runner.NewOptions().Seed(scn.Seed)
	if req.Seed != nil {
		seed = *req.Seed
	}
	if s.pool != nil {
		return s.pool.create(c, runSource{Name: name, Text: req.Scenario, Base: base}, scn, seed, workerSpec{Start: req.Start, Speed: req.Speed, Seq: req.Seq})
	}
	if req.Start {
		if err := s.runs.canRun(nil); err != nil {
			return err
		}
	}
	r, err := s.newRun(c.Request().Context(), runner.NewTimeline(scn, seed), "", req.Seq)
	if err != nil {
		return err
	}
	r.src = runSource{Name: name, Text: req.Scenario, Base: base}
	r.persist()
	if req.Start {
		r.setState(stateRunning, req.Speed)
	} else if req.Speed != nil {
		r.setState(statePaused, req.Speed)
	}
	c.Response().Header().Set("Location", APIPrefix+"/runs/"+r.id)
	return c.JSON(http.StatusCreated, r.snapshot())
}

func (s *Server) listRuns(c echo.Context) error {
	list := s.runs.list()
	out := make([]Status, 0, len(list))
	for _, r := range list {
		st := r.snapshot()
		st.Nodes, st.Actions = nil, nil
		out = append(out, st)
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": out})
}

func (s *Server) getRun(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.snapshot())
}

func (s *Server) deleteRun(c echo.Context) error {
	if err := s.runs.remove(c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) runResults(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	r.mu.Lock()
	res := r.result
	r.mu.Unlock()
	if res == nil {
		return apiErr(http.StatusConflict, "conflict", "run %s has not finished", r.id)
	}
	return c.JSON(http.StatusOK, res)
}

// errRunFinished says a read found the run finished with its simulation
// closed: it is served from the run's folder instead. A read never
// rebuilds a finished run (which would take its memory back for nothing).
var errRunFinished = errors.New("playground: the run finished: read it from its folder")

// withSim runs fn on the run's simulation, rebuilding it if it was closed;
// a finished run's is never rebuilt (errRunFinished).
func (r *run) withSim(ctx context.Context, fn func(*runner.Run) error) error {
	r.op.Lock()
	defer r.op.Unlock()
	r.touch()
	if !r.cur.Loaded() && r.finished() {
		return errRunFinished
	}
	if err := r.ensure(ctx); err != nil {
		return err
	}
	return r.cur.Do(ctx, fn)
}

func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, apiErr(http.StatusBadRequest, "bad_request", "query parameter %s=%q must be an integer in %d..%d", name, v, lo, hi)
	}
	return n, nil
}

// TracePage is a page of a run's trace.
type TracePage struct {
	From   int           `json:"from"`
	Events []trace.Event `json:"events"`
	Next   int           `json:"next"`
	Total  uint64        `json:"total"`
}

func (s *Server) runFiles(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	ents, err := os.ReadDir(r.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	type file struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	}
	out := []file{}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue // the server's own (cached diagram, saved stores)
		}
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			out = append(out, file{e.Name(), info.Size()})
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"files": out})
}

func (s *Server) runFile(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	name := c.Param("file")
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return apiErr(http.StatusNotFound, "not_found", "run %s has no file %q", r.id, name)
	}
	r.mu.Lock()
	finished := r.result != nil
	r.mu.Unlock()
	if name == runfolder.LamportFile && !finished {
		return s.liveLamport(c, r)
	}
	p := filepath.Join(r.dir, name)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return apiErr(http.StatusNotFound, "not_found", "run %s has no file %q (see /runs/%s/files)", r.id, name, r.id)
	}
	return c.File(p)
}

// NodeDetail is the node inspector's view of one node now.
type NodeDetail struct {
	runner.NodeInfo
	Store []KVText        `json:"store"`
	Log   []trace.Event   `json:"log"`
	Emits []trace.Event   `json:"emits"`
	Stats map[string]uint `json:"stats"`
	// GuestState is the node's last emitted "state" (the SDK's SetState: a
	// small JSON snapshot of what it holds), absent if it emitted none.
	GuestState json.RawMessage `json:"guest_state,omitempty"`
	// StoreNext, when set, is the last key of this page of the store: more
	// entries follow (ask again with after=StoreNext).
	StoreNext string `json:"store_next,omitempty"`
}

// KVText is a store entry with its bytes as text where they are UTF-8.
type KVText struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// inspectTail is how many log lines and emitted events the inspector shows.
const inspectTail = 200

type controlReq struct {
	Action string   `json:"action"`
	To     string   `json:"to"`
	Events int      `json:"events"`
	Speed  *float64 `json:"speed"`
}

func (s *Server) controlRun(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	var req controlReq
	if err := s.bindJSON(c, &req); err != nil {
		return err
	}
	if req.Speed != nil && (*req.Speed < 0 || math.IsNaN(*req.Speed) || *req.Speed > 1000) {
		return apiErr(http.StatusBadRequest, "bad_request", "speed %v is outside 0..1000", *req.Speed)
	}
	r.mu.Lock()
	finished := r.state == stateFinished
	r.mu.Unlock()
	if finished && req.Action != "pause" {
		return apiErr(http.StatusConflict, "conflict", "run %s has finished; seek back or fork to go on from an earlier moment", r.id)
	}
	ctx := c.Request().Context()
	switch req.Action {
	case "pause":
		r.setState(statePaused, req.Speed)
		if err := r.settle(ctx); err != nil {
			return err
		}
	case "resume":
		if err := r.rs.canRun(r); err != nil {
			return err
		}
		r.setState(stateRunning, req.Speed)
	case "speed":
		if req.Speed == nil {
			return apiErr(http.StatusBadRequest, "bad_request", "speed needs a speed (virtual seconds per wall second; 0 = as fast as possible)")
		}
		r.mu.Lock()
		st := r.state
		r.mu.Unlock()
		r.setState(st, req.Speed)
	case "step", "advance", "finish":
		r.setState(statePaused, nil)
		if err := r.command(ctx, req); err != nil {
			return err
		}
	default:
		return apiErr(http.StatusBadRequest, "bad_request", "unknown action %q (known: pause, resume, step, advance, speed, finish)", req.Action)
	}
	r.touch()
	return c.JSON(http.StatusOK, r.snapshot())
}

// settle waits for the slice in progress and refreshes the provisional verdicts.
func (r *run) settle(ctx context.Context) error {
	r.op.Lock()
	defer r.op.Unlock()
	if !r.cur.Loaded() {
		return nil
	}
	r.checkNow(ctx)
	return nil
}

func (r *run) command(ctx context.Context, req controlReq) error {
	r.op.Lock()
	defer r.op.Unlock()
	if err := r.ensure(ctx); err != nil {
		return err
	}
	var err error
	switch req.Action {
	case "step":
		n := req.Events
		if n <= 0 {
			n = 1
		}
		if n > sliceEvents {
			return apiErr(http.StatusBadRequest, "bad_request", "step of %d events is more than %d", n, sliceEvents)
		}
		err = r.do(ctx, func(rr *runner.Run) error {
			for range n {
				if ok, err := rr.Step(); err != nil || !ok {
					return err
				}
			}
			return nil
		})
	case "advance":
		var to time.Duration
		var rel bool
		to, rel, err = parseAt(req.To)
		if err != nil {
			return err
		}
		err = r.do(ctx, func(rr *runner.Run) error {
			target := to
			if rel {
				target = rr.Now() + to
			}
			for rr.Now() < min(target, rr.End()) {
				if err := r.rs.s.runDiskError(r); err != nil {
					return err
				}
				if err := advance(rr, target); err != nil {
					return err
				}
			}
			return nil
		})
	case "finish":
		err = r.do(ctx, func(rr *runner.Run) error {
			for !rr.Done() {
				if err := r.rs.s.runDiskError(r); err != nil {
					return err
				}
				if err := advance(rr, rr.End()); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	r.checkNow(ctx)
	r.persist()
	return nil
}

func parseAt(s string) (time.Duration, bool, error) {
	rel := strings.HasPrefix(s, "+")
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil || d < 0 {
		return 0, false, apiErr(http.StatusBadRequest, "bad_request", "advance needs to: a virtual time such as 1.5s, or +10ms to go that far from now (got %q)", s)
	}
	return d, rel, nil
}

func (s *Server) applyFault(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	var f fault.Fault
	if err := s.bindJSON(c, &f); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return apiErr(http.StatusBadRequest, "bad_request", "%v", err)
	}
	r.mu.Lock()
	st := r.snapshotLocked()
	r.mu.Unlock()
	if st.finished {
		return apiErr(http.StatusConflict, "conflict", "run %s has finished: seek back and fork to act at an earlier moment", r.id)
	}
	if st.rewound {
		return apiErr(http.StatusConflict, "conflict", "run %s is rewound to event %d of %d: acting here forks a new timeline (POST /runs/%s/fork)", r.id, st.seq, st.maxSeq, r.id)
	}
	if err := r.act(c.Request().Context(), f); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.snapshot())
}

type posInfo struct {
	finished, rewound bool
	seq, maxSeq       uint64
}

func (r *run) snapshotLocked() posInfo {
	return posInfo{finished: r.state == stateFinished, rewound: r.status.Seq < r.maxSeq, seq: r.status.Seq, maxSeq: r.maxSeq}
}

// act applies a fault now and records it on the timeline.
func (r *run) act(ctx context.Context, f fault.Fault) error {
	r.op.Lock()
	defer r.op.Unlock()
	n := len(r.cur.Timeline().Actions())
	if limit := r.rs.s.cfg.maxFaults; n >= limit {
		return apiErr(http.StatusConflict, "limit", "run %s has %d faults applied by hand, this server's cap (start a new run to go on)", r.id, limit)
	}
	if err := r.ensure(ctx); err != nil {
		return err
	}
	a, err := r.cur.Apply(ctx, f)
	var refused *runner.ActionError
	if errors.As(err, &refused) {
		return apiErr(http.StatusBadRequest, "bad_request", "%v", refused.Err)
	}
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.maxSeq = a.Seq
	r.mu.Unlock()
	r.checkNow(ctx)
	r.persist()
	return nil
}

type seekReq struct {
	Seq   *uint64      `json:"seq"`
	Fault *fault.Fault `json:"fault"`
}

func (s *Server) seekRun(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	var req seekReq
	if err := s.bindJSON(c, &req); err != nil {
		return err
	}
	if req.Seq == nil || req.Fault != nil {
		return apiErr(http.StatusBadRequest, "bad_request", "seek takes {\"seq\": N} (to act there, fork)")
	}
	if err := r.seek(c.Request().Context(), *req.Seq); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.snapshot())
}

// seek moves the run to event seq of its timeline: forward by stepping,
// back by replaying from the seed with the recorded actions.
func (r *run) seek(ctx context.Context, seq uint64) error {
	r.setState(statePaused, nil)
	r.op.Lock()
	defer r.op.Unlock()
	r.mu.Lock()
	cur, maxSeq := r.status.Seq, r.maxSeq
	r.mu.Unlock()
	if seq > maxSeq {
		seq = maxSeq
	}
	forward := r.cur.Loaded() && seq >= cur && r.result == nil
	if forward {
		if err := r.cur.Seek(ctx, seq); err != nil && !errors.Is(err, runner.ErrPastEnd) {
			return err
		}
	} else {
		r.mu.Lock()
		r.result, r.state, r.errMsg = nil, statePaused, ""
		r.status.Verdict = ""
		r.mu.Unlock()
		if err := r.replay(ctx, seq); err != nil {
			return err
		}
	}
	r.checkNow(ctx)
	return nil
}

// forkRequest reads and checks a fork's request, in the server and in the
// worker pool alike: the event to fork at, and a valid fault to apply there
// if any, with room for one more run.
func (s *Server) forkRequest(c echo.Context) (seekReq, error) {
	var req seekReq
	if err := s.bindJSON(c, &req); err != nil {
		return req, err
	}
	if req.Seq == nil {
		return req, apiErr(http.StatusBadRequest, "bad_request", "fork takes {\"seq\": N, \"fault\": {...}}")
	}
	if req.Fault != nil {
		if err := req.Fault.Validate(); err != nil {
			return req, apiErr(http.StatusBadRequest, "bad_request", "%v", err)
		}
	}
	return req, s.checkRunSpace()
}

func (s *Server) forkRun(c echo.Context) error {
	parent, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	req, err := s.forkRequest(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.newRun(ctx, parent.cur.Timeline().Cut(*req.Seq), parent.id, *req.Seq)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.maxSeq = r.status.Seq
	r.mu.Unlock()
	r.src = parent.src
	if req.Fault != nil {
		if err := r.act(ctx, *req.Fault); err != nil {
			_ = s.runs.remove(r.id)
			return err
		}
	}
	r.persist()
	c.Response().Header().Set("Location", APIPrefix+"/runs/"+r.id)
	return c.JSON(http.StatusCreated, r.snapshot())
}

func (s *Server) exportRun(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	scn := r.cur.Timeline().Export()
	switch c.QueryParam("format") {
	case "", "yaml":
	case "zip":
		st := r.snapshot()
		return s.exportBundle(c, r.id, scn, BundlePosition{Seq: st.Seq, NowNS: st.NowNS})
	case "share":
		return s.exportShare(c, scn)
	default:
		return apiErr(http.StatusBadRequest, "bad_request", "format=%q: want yaml (the scenario), zip (the scenario with its modules) or share (the scenario with its modules by digest)", c.QueryParam("format"))
	}
	b, err := scenario.Encode(scn, "")
	if err != nil {
		return fmt.Errorf("playground: export: %w", err)
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+r.id+`.yaml"`)
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", b)
}

// exportBundle writes a zip that replays anywhere: ID/scenario.yaml with
// every module as a file beside it (ID/modules/SHA.wasm), uploaded and
// built-in alike, so that `terrarium run ID/scenario.yaml` needs neither
// this server nor the plugins' sources. The zip is streamed, one module at
// a time, and a module named several times is written once (files are
// named by digest).
func (s *Server) exportBundle(c echo.Context, id string, scn *scenario.Scenario, pos BundlePosition) error {
	release, err := s.heavyRead()
	if err != nil {
		return err
	}
	defer release()
	ctx := c.Request().Context()
	root := filepath.Join(string(filepath.Separator), "bundle", id) // a name only: nothing is written there
	cp := *scn
	cp.Modules = nil
	// First the digests, so that the scenario is known (and every module
	// found) before the response starts.
	shas := make([]string, len(scn.Modules))
	for i, m := range scn.Modules {
		sha := m.SHA256
		if sha == "" {
			b, err := s.modules.Bytes(ctx, m)
			if err != nil {
				return fmt.Errorf("playground: export module %s: %w", m.Name, err)
			}
			sum := sha256.Sum256(b)
			sha = hex.EncodeToString(sum[:])
		}
		shas[i] = sha
		mc := *m
		mc.Go, mc.SHA256, mc.Wasm = "", "", filepath.Join(root, "modules", sha+".wasm")
		cp.Modules = append(cp.Modules, &mc)
	}
	y, err := scenario.Encode(&cp, root)
	if err != nil {
		return fmt.Errorf("playground: export: %w", err)
	}
	w := c.Response()
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
	w.Header().Set(echo.HeaderContentType, "application/zip")
	w.WriteHeader(http.StatusOK)
	zw := zip.NewWriter(w)
	fail := func(err error) error {
		// The response has started: abort it, so the client sees a broken
		// download rather than a short zip, and log why.
		s.logf("playground: export %s: %v", id, err)
		panic(http.ErrAbortHandler)
	}
	sy, err := zw.Create(path.Join(id, "scenario.yaml"))
	if err == nil {
		_, err = sy.Write(y)
	}
	if err == nil {
		err = writePosition(zw, id, pos)
	}
	if err != nil {
		return fail(err)
	}
	done := map[string]bool{}
	for i, m := range scn.Modules {
		if done[shas[i]] {
			continue
		}
		done[shas[i]] = true
		b, err := s.modules.Bytes(ctx, m)
		if err != nil {
			return fail(fmt.Errorf("module %s: %w", m.Name, err))
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != shas[i] {
			return fail(fmt.Errorf("module %s changed while exporting", m.Name))
		}
		fw, err := zw.Create(path.Join(id, "modules", shas[i]+".wasm"))
		if err == nil {
			_, err = fw.Write(b)
		}
		if err != nil {
			return fail(err)
		}
	}
	if err := zw.Close(); err != nil {
		return fail(err)
	}
	return nil
}
