package playground

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// Background jobs: a sweep of a seed range, a shrink of a failing seed, an
// explore search, and the state graph of a scheduled run, each over a
// scenario sent like POST /runs sends one. A job runs one simulation at a
// time on one goroutine, under the server's caps (JobLimits); it is
// polled (GET /jobs/{id}) and cancelled or forgotten with DELETE.

// Defaults for JobLimits.
const (
	DefaultMaxJobs        = 2
	DefaultMaxJobSeeds    = 10_000
	DefaultMaxJobRuns     = 10_000
	DefaultMaxShrinkRuns  = 1_000
	DefaultJobWallBudget  = 10 * time.Minute
	DefaultMaxKeptJobs    = 16
	maxJobFailuresListed  = 200
	defaultGraphAround    = 6
	defaultShrinkRuns     = 300
	defaultExploreBudget  = 1000
	defaultExploreBound   = 2
	defaultExploreDepth   = 3
	maxExploreBoundOrDeep = 16
)

// JobLimits are the caps on background jobs, as the API reports them.
type JobLimits struct {
	// Concurrent is how many jobs may run at once; more get 429.
	Concurrent int `json:"concurrent"`
	// Seeds caps a sweep's seed count, Runs an explore's budget, ShrinkRuns
	// a shrink's max_runs.
	Seeds      int `json:"seeds"`
	Runs       int `json:"runs"`
	ShrinkRuns int `json:"shrink_runs"`
	// Wall is the wall time after which a job stops, with what it found.
	Wall string `json:"wall"`
	// Kept is how many finished jobs the server remembers.
	Kept int `json:"kept"`
	wall time.Duration
}

// DefaultJobLimits returns the defaults.
func DefaultJobLimits() JobLimits {
	return JobLimits{Concurrent: DefaultMaxJobs, Seeds: DefaultMaxJobSeeds, Runs: DefaultMaxJobRuns,
		ShrinkRuns: DefaultMaxShrinkRuns, Kept: DefaultMaxKeptJobs, wall: DefaultJobWallBudget, Wall: DefaultJobWallBudget.String()}
}

// WithJobLimits sets the caps on background jobs: how many run at once,
// the most seeds a sweep, runs an explore and runs a shrink may ask for,
// and the wall time a job may take.
func (c Config) WithJobLimits(concurrent, seeds, runs, shrinkRuns int, wall time.Duration) Config {
	c.jobs.Concurrent, c.jobs.Seeds, c.jobs.Runs, c.jobs.ShrinkRuns = concurrent, seeds, runs, shrinkRuns
	c.jobs.wall, c.jobs.Wall = wall, wall.String()
	return c
}

func (l JobLimits) validate() error {
	if l.Concurrent <= 0 || l.Seeds <= 0 || l.Runs <= 0 || l.ShrinkRuns <= 0 || l.wall <= 0 || l.Kept <= 0 {
		return fmt.Errorf("playground: job limits must be positive: %+v", l)
	}
	return nil
}

// JobRequest is POST /jobs.
type JobRequest struct {
	// Kind is sweep, shrink, explore or graph.
	Kind string `json:"kind"`
	// Scenario, Pattern and Name say what to run, as in POST /runs.
	Scenario string `json:"scenario"`
	Pattern  string `json:"pattern"`
	Name     string `json:"name"`
	// Seeds is a sweep's seed list (1..100, 5, 1,2,9).
	Seeds string `json:"seeds"`
	// Seed is the failing seed (shrink), the run's seed (graph) or the
	// strategy's seed (explore).
	Seed *uint64 `json:"seed"`
	// Strategy (dfs, pct, random, bfs, sweep), Budget (runs), Bound,
	// Depth and Crashes configure an explore, as terrarium explore's flags.
	Strategy string `json:"strategy"`
	Budget   int    `json:"budget"`
	Bound    *int   `json:"bound"`
	Depth    *int   `json:"depth"`
	Crashes  int    `json:"crashes"`
	// MaxRuns bounds a shrink's runs.
	MaxRuns int `json:"max_runs"`
}

// JobFailure is one failing seed of a sweep.
type JobFailure struct {
	Seed    uint64 `json:"seed"`
	Verdict string `json:"verdict"`
	Summary string `json:"summary"`
}

// JobResult is what a finished job hands back: a scenario to open (the
// minimal one, or the found schedule) with its seed, and its numbers.
type JobResult struct {
	Scenario string            `json:"scenario,omitempty"`
	Seed     uint64            `json:"seed,omitempty"`
	Digest   string            `json:"digest,omitempty"`
	Replayed bool              `json:"replayed,omitempty"`
	Checks   map[string]string `json:"checks,omitempty"`
	Schedule []string          `json:"schedule,omitempty"`
	Steps    []string          `json:"steps,omitempty"`
	Runs     int               `json:"runs,omitempty"`
	Graph    *explore.Graph    `json:"graph,omitempty"`
	Passed   int               `json:"passed,omitempty"`
}

// JobStatus is a job as GET /jobs/{id} reports it.
type JobStatus struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	State   string    `json:"state"` // running, done, failed, cancelled
	Created time.Time `json:"created"`
	// ElapsedMS is the wall time so far (or taken).
	ElapsedMS int64 `json:"elapsed_ms"`
	// Done of Total units (seeds, runs) so far.
	Done  int `json:"done"`
	Total int `json:"total"`
	// Failed counts the failing seeds, Failures lists the first ones.
	Failed   int            `json:"failed"`
	Failures []JobFailure   `json:"failures"`
	Stats    *explore.Stats `json:"stats,omitempty"`
	Progress string         `json:"progress,omitempty"`
	Result   *JobResult     `json:"result,omitempty"`
	Error    string         `json:"error,omitempty"`
	// Pattern and Name are the source the scenario came from, Scenario
	// its text: what opening a failing seed runs.
	Pattern  string `json:"pattern,omitempty"`
	Name     string `json:"name"`
	Scenario string `json:"scenario"`
}

// job is one background job.
type job struct {
	mu      sync.Mutex
	st      JobStatus
	cancel  context.CancelFunc
	done    chan struct{}
	started time.Time
}

func (j *job) update(f func(*JobStatus)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(&j.st)
	j.st.ElapsedMS = time.Since(j.started).Milliseconds()
}

func (j *job) status() JobStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := j.st
	if st.State == "running" {
		st.ElapsedMS = time.Since(j.started).Milliseconds()
	}
	st.Failures = append([]JobFailure{}, st.Failures...)
	return st
}

// jobs holds the server's jobs.
type jobs struct {
	mu    sync.Mutex
	byID  map[string]*job
	order []string // oldest first
	wg    sync.WaitGroup
}

func newJobs() *jobs { return &jobs{byID: map[string]*job{}} }

func (s *Server) jobRoutes(api *echo.Group) {
	api.POST("/jobs", s.createJob)
	api.GET("/jobs", s.listJobs)
	api.GET("/jobs/:id", s.getJob)
	api.DELETE("/jobs/:id", s.deleteJob)
}

// closeJobs cancels every job and waits for them.
func (s *Server) closeJobs() {
	s.jobs.mu.Lock()
	for _, j := range s.jobs.byID {
		j.cancel()
	}
	s.jobs.mu.Unlock()
	s.jobs.wg.Wait()
}

func (s *Server) listJobs(c echo.Context) error {
	s.jobs.mu.Lock()
	list := make([]*job, 0, len(s.jobs.order))
	for i := len(s.jobs.order) - 1; i >= 0; i-- {
		list = append(list, s.jobs.byID[s.jobs.order[i]])
	}
	s.jobs.mu.Unlock()
	out := make([]JobStatus, 0, len(list))
	for _, j := range list {
		st := j.status()
		st.Scenario, st.Result, st.Failures = "", nil, nil
		out = append(out, st)
	}
	return c.JSON(http.StatusOK, map[string]any{"jobs": out, "limits": s.cfg.jobs})
}

func (s *Server) job(id string) (*job, error) {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	j, ok := s.jobs.byID[id]
	if !ok {
		return nil, apiErr(http.StatusNotFound, "not_found", "no job %q (finished jobs are kept until %d newer ones finish, or DELETE)", id, s.cfg.jobs.Kept)
	}
	return j, nil
}

func (s *Server) getJob(c echo.Context) error {
	j, err := s.job(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j.status())
}

// deleteJob cancels a running job, waits for it to stop, and forgets it.
func (s *Server) deleteJob(c echo.Context) error {
	j, err := s.job(c.Param("id"))
	if err != nil {
		return err
	}
	j.cancel()
	<-j.done
	s.jobs.mu.Lock()
	delete(s.jobs.byID, j.st.ID)
	for i, id := range s.jobs.order {
		if id == j.st.ID {
			s.jobs.order = append(s.jobs.order[:i], s.jobs.order[i+1:]...)
			break
		}
	}
	s.jobs.mu.Unlock()
	return c.NoContent(http.StatusNoContent)
}

// admit registers j if fewer than the cap run, and forgets the oldest
// finished jobs past the number kept.
func (s *Server) admit(j *job) error {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	running := 0
	for _, o := range s.jobs.byID {
		if o.status().State == "running" {
			running++
		}
	}
	if running >= s.cfg.jobs.Concurrent {
		e := apiErr(http.StatusTooManyRequests, "busy", "the server is running its maximum of %d jobs at once: wait for one to finish, or cancel one (DELETE /api/v1/jobs/{id})", s.cfg.jobs.Concurrent)
		e.RetryAfter = 5
		return e
	}
	for len(s.jobs.order) >= s.cfg.jobs.Kept+running {
		dropped := false
		for i, id := range s.jobs.order {
			if s.jobs.byID[id].status().State != "running" {
				delete(s.jobs.byID, id)
				s.jobs.order = append(s.jobs.order[:i], s.jobs.order[i+1:]...)
				dropped = true
				break
			}
		}
		if !dropped {
			break
		}
	}
	s.jobs.byID[j.st.ID] = j
	s.jobs.order = append(s.jobs.order, j.st.ID)
	return nil
}

// createJob validates the request, then starts the job in the background.
func (s *Server) createJob(c echo.Context) error {
	var req JobRequest
	if err := s.bindJSON(c, &req); err != nil {
		return err
	}
	plan, err := s.planJob(&req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.stopCtx, s.cfg.jobs.wall)
	j := &job{cancel: cancel, done: make(chan struct{}), started: time.Now(),
		st: JobStatus{ID: newID(), Kind: req.Kind, State: "running", Created: time.Now().UTC().Truncate(time.Millisecond),
			Total: plan.total, Failures: []JobFailure{}, Pattern: req.Pattern, Name: plan.name, Scenario: req.Scenario}}
	if err := s.admit(j); err != nil {
		cancel()
		return err
	}
	s.jobs.wg.Add(1)
	go func() {
		defer s.jobs.wg.Done()
		defer close(j.done)
		defer cancel()
		res, err := plan.run(ctx, j)
		j.update(func(st *JobStatus) {
			st.Result = res
			switch {
			case err != nil && ctx.Err() == nil:
				st.State, st.Error = "failed", err.Error()
			case ctx.Err() == context.Canceled:
				st.State = "cancelled"
			default:
				st.State = "done"
				if ctx.Err() != nil {
					st.Error = fmt.Sprintf("stopped at the job wall budget of %v", s.cfg.jobs.wall)
				}
			}
		})
	}()
	c.Response().Header().Set("Location", APIPrefix+"/jobs/"+j.st.ID)
	return c.JSON(http.StatusAccepted, j.status())
}

// jobPlan is a validated job: what it runs and how many units it has.
type jobPlan struct {
	total int
	name  string
	run   func(ctx context.Context, j *job) (*JobResult, error)
}

// fieldErr is a 400 naming the request field at fault.
func fieldErr(field, format string, args ...any) *APIError {
	msg := fmt.Sprintf(format, args...)
	return &APIError{Status: http.StatusBadRequest, Code: "bad_request", Message: field + ": " + msg, Problems: []Problem{{Field: field, Message: msg}}}
}

// planJob checks the request and the scenario under the server's caps.
func (s *Server) planJob(req *JobRequest) (*jobPlan, error) {
	kinds := map[string]func(*JobRequest, *scenario.Scenario, string) (*jobPlan, error){
		"sweep": s.planSweep, "shrink": s.planShrink, "explore": s.planExplore, "graph": s.planGraph,
	}
	plan, ok := kinds[req.Kind]
	if !ok {
		return nil, fieldErr("kind", "%q: want sweep, shrink, explore or graph", req.Kind)
	}
	scn, base, name, err := s.parseScenario(&createRunReq{Scenario: req.Scenario, Pattern: req.Pattern, Name: req.Name})
	if err != nil {
		return nil, err
	}
	req.Scenario = scn.text
	p, err := plan(req, scn.scn, base)
	if err != nil {
		return nil, err
	}
	p.name = name
	return p, nil
}

// parsedScenario is a scenario request parsed and checked.
type parsedScenario struct {
	scn  *scenario.Scenario
	text string
}

// parseScenario reads a scenario as createRun does: its text or a
// pattern's file, parsed, its modules resolved, under the server's limits.
func (s *Server) parseScenario(req *createRunReq) (*parsedScenario, string, string, error) {
	base, name := "", req.Name
	if req.Pattern != "" {
		p, err := s.gallery.get(req.Pattern)
		if err != nil {
			return nil, "", "", err
		}
		base = p.Dir
		if name == "" {
			name = "scenario.yaml"
		}
		if req.Scenario == "" {
			text, ok := p.Contents[name]
			if !ok {
				return nil, "", "", fieldErr("name", "pattern %s has no file %q (files: %s)", p.Name, name, strings.Join(p.Files, ", "))
			}
			req.Scenario = text
		}
	}
	if name == "" {
		name = "scenario.yaml"
	}
	if strings.TrimSpace(req.Scenario) == "" {
		return nil, "", "", fieldErr("scenario", "no scenario: send its text, or name a pattern")
	}
	scn, err := s.parseChecked(name, req.Scenario, base)
	if err != nil {
		return nil, "", "", err
	}
	return &parsedScenario{scn: scn, text: req.Scenario}, base, name, nil
}

// encodeFor writes scn as a scenario file whose module paths resolve as
// a run of the job's source resolves them (against the pattern's folder,
// or the plugins folder).
func (s *Server) encodeFor(scn *scenario.Scenario, base string) (string, error) {
	if base == "" {
		base = s.gallery.dir
	}
	b, err := scenario.Encode(scn, base)
	if err != nil {
		return "", fmt.Errorf("playground: job: encoding the scenario: %w", err)
	}
	return string(b), nil
}
