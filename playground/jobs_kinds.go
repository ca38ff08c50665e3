package playground

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/shrink"
	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

// parseChecked parses a scenario, resolves its modules against base and
// applies the server's limits, as POST /runs does.
func (s *Server) parseChecked(name, text, base string) (*scenario.Scenario, error) {
	scn, err := runner.Parse(name, []byte(text), s.reg)
	if err != nil {
		if se := scenarioError(err); se != nil {
			return nil, se
		}
		return nil, apiErr(http.StatusUnprocessableEntity, "scenario", "%v", err)
	}
	if err := s.resolveModules(scn, base); err != nil {
		return nil, err
	}
	if err := s.checkLimits(scn); err != nil {
		return nil, err
	}
	return scn, s.jobModulesTrusted(scn)
}

// jobModulesTrusted refuses, on a server that runs guest code in worker
// processes, a job over an uploaded module: jobs run in the server's own
// process, so they take only the plugins folder's modules (the
// operator's), never a module anyone could upload.
func (s *Server) jobModulesTrusted(scn *scenario.Scenario) error {
	if s.pool == nil {
		return nil
	}
	for _, m := range scn.Modules {
		if m.SHA256 != "" {
			msg := fmt.Sprintf("module %s is an upload: this server runs uploaded modules only in worker processes, and jobs run in its own process; sweep it with `terrarium sweep` instead", m.Name)
			return &APIError{Status: http.StatusUnprocessableEntity, Code: "unsupported", Message: msg, Problems: []Problem{{Line: m.Pos.Line, Field: "modules." + m.Name + ".sha256", Message: msg}}}
		}
	}
	return nil
}

// jobRunner is the per-run options of a job's runs: the server's
// registry and module builds, no run folder.
func (s *Server) jobRunner() runner.Options {
	return runner.NewOptions().WithRegistry(s.reg).WithModules(s.modules).WithCacheDir(s.cacheDir)
}

// planSweep runs the scenario over a seed list, one seed at a time.
func (s *Server) planSweep(req *JobRequest, scn *scenario.Scenario, _ string) (*jobPlan, error) {
	if strings.TrimSpace(req.Seeds) == "" {
		return nil, fieldErr("seeds", "a sweep needs a seed list, e.g. \"1..100\"")
	}
	seeds, err := sweep.ParseSeeds(req.Seeds)
	if err != nil {
		return nil, fieldErr("seeds", "%v", err)
	}
	if seeds.Len() > s.cfg.jobs.Seeds {
		return nil, fieldErr("seeds", "%d seeds is more than this server's limit of %d a sweep", seeds.Len(), s.cfg.jobs.Seeds)
	}
	run := func(ctx context.Context, j *job) (*JobResult, error) {
		opts := sweep.Options{Seeds: seeds, Parallel: 1, Runner: s.jobRunner(), Progress: func(done, _ int, r sweep.SeedResult) {
			j.update(func(st *JobStatus) {
				st.Done = done
				if r.Passed() {
					return
				}
				st.Failed++
				if len(st.Failures) < maxJobFailuresListed {
					st.Failures = append(st.Failures, seedFailure(r))
				}
			})
		}}
		file, err := scenarioFile(req.Scenario)
		if err != nil {
			return nil, err
		}
		defer os.Remove(file)
		c := *scn
		c.File = file // sweep.Run reads it for the summary's digest
		sum, err := sweep.Run(ctx, req.Name, &c, opts)
		if err != nil && (sum == nil || !sum.Interrupted) {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		return &JobResult{Runs: sum.Runs, Passed: sum.Passed}, nil
	}
	return &jobPlan{total: seeds.Len(), run: run}, nil
}

// scenarioFile writes a job's scenario text to a temporary file.
func scenarioFile(text string) (string, error) {
	f, err := os.CreateTemp("", "terrarium-job-*.yaml")
	if err != nil {
		return "", fmt.Errorf("playground: job: %w", err)
	}
	_, err = f.WriteString(text)
	if err = errors.Join(err, f.Close()); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("playground: job: %w", err)
	}
	return f.Name(), nil
}

// seedFailure is a failing seed's line.
func seedFailure(r sweep.SeedResult) JobFailure {
	f := JobFailure{Seed: r.Seed, Verdict: r.Verdict, Summary: r.Error}
	var parts []string
	for _, c := range r.Failures {
		parts = append(parts, c.Check+": "+c.Summary)
	}
	if len(parts) > 0 {
		f.Summary = strings.Join(parts, "; ")
	}
	return f
}

// planShrink minimises the scenario's failing run with seed.
func (s *Server) planShrink(req *JobRequest, scn *scenario.Scenario, base string) (*jobPlan, error) {
	if req.Seed == nil {
		return nil, fieldErr("seed", "a shrink needs the failing seed")
	}
	maxRuns := req.MaxRuns
	if maxRuns == 0 {
		maxRuns = defaultShrinkRuns
	}
	if maxRuns < 0 || maxRuns > s.cfg.jobs.ShrinkRuns {
		return nil, fieldErr("max_runs", "%d: want 1..%d (this server's limit)", req.MaxRuns, s.cfg.jobs.ShrinkRuns)
	}
	seed := *req.Seed
	run := func(ctx context.Context, j *job) (*JobResult, error) {
		res, err := shrink.Shrink(ctx, scn, shrink.Options{Seed: seed, MaxRuns: maxRuns, Run: s.jobRunner(), Progress: func(step string, runs int) {
			j.update(func(st *JobStatus) { st.Done, st.Progress = runs, step })
		}})
		if errors.Is(err, shrink.ErrPasses) {
			return nil, fmt.Errorf("seed %d passes: nothing to shrink", seed)
		}
		if err != nil {
			return nil, err
		}
		min := *res.Minimal
		min.Seed, min.Name = seed, scn.Name+"-min"
		text, err := s.encodeFor(&min, base)
		if err != nil {
			return nil, err
		}
		out := &JobResult{Scenario: text, Seed: seed, Steps: res.Steps, Runs: res.Runs, Checks: map[string]string{}}
		if res.Last != nil {
			out.Digest = res.Last.TraceSHA256
			for name, c := range res.Last.Checks {
				if c.Verdict != check.Valid {
					out.Checks[name] = c.Summary
				}
			}
		}
		return out, nil
	}
	return &jobPlan{total: maxRuns, run: run}, nil
}

// exploreStrategy builds the request's strategy, as terrarium explore's
// flags do (cmd/terrarium/explore.go, newStrategy).
func exploreStrategy(req *JobRequest) (explore.Strategy, error) {
	bound, depth, seed := defaultExploreBound, defaultExploreDepth, uint64(1)
	if req.Bound != nil {
		bound = *req.Bound
	}
	if req.Depth != nil {
		depth = *req.Depth
	}
	if req.Seed != nil {
		seed = *req.Seed
	}
	switch {
	case bound < 0 || bound > maxExploreBoundOrDeep:
		return nil, fieldErr("bound", "%d: want 0..%d", bound, maxExploreBoundOrDeep)
	case depth < 1 || depth > maxExploreBoundOrDeep:
		return nil, fieldErr("depth", "%d: want 1..%d", depth, maxExploreBoundOrDeep)
	case req.Crashes < 0 || req.Crashes > maxExploreBoundOrDeep:
		return nil, fieldErr("crashes", "%d: want 0..%d", req.Crashes, maxExploreBoundOrDeep)
	}
	switch req.Strategy {
	case "", "dfs":
		return explore.NewDFS(bound, req.Crashes), nil
	case "pct":
		return explore.NewPCT(seed, depth, req.Crashes), nil
	case "random":
		return explore.NewRandom(seed, req.Crashes), nil
	case "bfs":
		return explore.NewBFS(bound, req.Crashes, true), nil
	case "sweep":
		return explore.NewSweep(seed), nil
	}
	return nil, fieldErr("strategy", "%q: want dfs, pct, random, bfs or sweep", req.Strategy)
}

// planExplore searches the scenario's schedules within a run budget.
func (s *Server) planExplore(req *JobRequest, scn *scenario.Scenario, base string) (*jobPlan, error) {
	strat, err := exploreStrategy(req)
	if err != nil {
		return nil, err
	}
	budget := req.Budget
	if budget == 0 {
		budget = defaultExploreBudget
	}
	if budget < 0 || budget > s.cfg.jobs.Runs {
		return nil, fieldErr("budget", "%d runs: want 1..%d (this server's limit)", req.Budget, s.cfg.jobs.Runs)
	}
	run := func(ctx context.Context, j *job) (*JobResult, error) {
		cfg := explore.Config{Scenario: scn, Runner: s.jobRunner(), Strategy: strat, Runs: budget, Faults: req.Crashes > 0,
			Progress: func(st explore.Stats) { j.update(func(js *JobStatus) { js.Done, js.Stats = st.Runs, &st }) }}
		res, err := explore.Search(ctx, cfg)
		if err != nil {
			return nil, err
		}
		j.update(func(js *JobStatus) { js.Done, js.Stats = res.Stats.Runs, &res.Stats })
		if res.Failure == nil {
			return &JobResult{Runs: res.Stats.Runs}, nil
		}
		return s.foundResult(ctx, res.Failure, base)
	}
	return &jobPlan{total: budget, run: run}, nil
}

// foundResult is an explore's failing run as a scenario to open, with its
// state graph.
func (s *Server) foundResult(ctx context.Context, f *explore.Failure, base string) (*JobResult, error) {
	found := *f.Scenario
	found.Name += "-found"
	text, err := s.encodeFor(&found, base)
	if err != nil {
		return nil, err
	}
	out := &JobResult{Scenario: text, Seed: f.Seed, Digest: f.Digest, Replayed: f.Replayed, Checks: f.Checks, Runs: f.Run}
	for _, d := range f.Schedule {
		out.Schedule = append(out.Schedule, d.String())
	}
	g, err := explore.RecordGraph(ctx, f.Scenario, s.jobRunner().WithSeed(f.Seed), defaultGraphAround)
	if err != nil {
		return nil, err
	}
	out.Graph = g
	return out, nil
}

// planGraph records the state graph around the scenario's run (its
// schedule:, replayed).
func (s *Server) planGraph(req *JobRequest, scn *scenario.Scenario, _ string) (*jobPlan, error) {
	seed := runner.NewOptions().Seed(scn.Seed)
	if req.Seed != nil {
		seed = *req.Seed
	}
	run := func(ctx context.Context, j *job) (*JobResult, error) {
		g, err := explore.RecordGraph(ctx, scn, s.jobRunner().WithSeed(seed), defaultGraphAround)
		if err != nil {
			return nil, err
		}
		j.update(func(st *JobStatus) { st.Done = 1 })
		out := &JobResult{Seed: seed, Graph: g}
		for _, d := range scn.Schedule {
			out.Schedule = append(out.Schedule, d.String())
		}
		return out, nil
	}
	return &jobPlan{total: 1, run: run}, nil
}
