package runner_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// runCommands prepare a run, move it forward and show what it did.
func runCommands() map[string]command {
	return map[string]command{
		"scenario":   scenarioCmd,
		"run":        runCmd,
		"step":       stepCmd,
		"finish":     finishCmd,
		"events":     eventsCmd,
		"trace-tail": traceTailCmd,
	}
}

// scenarioCmd prepares a run of the scenario FILE (relative to the script)
// or, without FILE, of the YAML below the directive (module paths relative
// to this package's folder).
func scenarioCmd(s *script, d *datadriven.TestData) (string, error) {
	opts := runner.NewOptions()
	if a, ok := d.Arg("seed"); ok && len(a.Vals) == 1 {
		seed, err := strconv.ParseUint(a.Vals[0], 10, 64)
		if err != nil {
			return "", fmt.Errorf("scenario: seed: %w", err)
		}
		opts = opts.WithSeed(seed)
	}
	var scn *scenario.Scenario
	var err error
	if file := positional(d); len(file) > 0 {
		scn, err = runner.Load(filepath.Join(filepath.Dir(s.path), file[0]), nil)
	} else {
		scn, err = runner.Parse("script.yaml", []byte(d.Input+"\n"), nil)
	}
	if err != nil {
		return "", err
	}
	s.close()
	s.r, s.shown = nil, 0
	r, err := runner.Prepare(context.Background(), scn, opts)
	if err != nil {
		return "", err
	}
	s.r = r
	return fmt.Sprintf("%d nodes, seed %d, ends at %v", len(r.Nodes()), r.Seed(), r.End()), nil
}

func runCmd(s *script, d *datadriven.TestData) (string, error) {
	a, err := arg(d, 0)
	if err != nil {
		return "", err
	}
	dur, err := time.ParseDuration(a)
	if err != nil {
		return "", err
	}
	if err := s.r.AdvanceTo(s.r.Now() + dur); err != nil {
		return "", err
	}
	return fmt.Sprintf("t=%v events=%d", s.r.Now(), s.r.Stats().Events), nil
}

func stepCmd(s *script, d *datadriven.TestData) (string, error) {
	a, err := arg(d, 0)
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(a)
	if err != nil {
		return "", err
	}
	for range n {
		if _, err := s.r.Step(); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("t=%v events=%d", s.r.Now(), s.r.Stats().Events), nil
}

// finishCmd runs the rest of the run and gives each check's verdict.
func finishCmd(s *script, _ *datadriven.TestData) (string, error) {
	res, err := s.r.Finish()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "verdict %s, %d events, %d crashes\n", res.Verdict, res.Stats.Events, res.Stats.Crashes)
	if res.Reason != "" {
		fmt.Fprintf(&b, "stopped: %s\n", res.Reason)
	}
	for _, c := range s.r.Scenario().Checks {
		fmt.Fprintf(&b, "%s: %s\n", c.Name, res.Checks[c.Name].Verdict)
	}
	return b.String(), nil
}

// eventsCmd lists the events recorded since the last events command, only
// those of the kinds given if any.
func eventsCmd(s *script, d *datadriven.TestData) (string, error) {
	var kinds []string
	if a, ok := d.Arg("kinds"); ok {
		kinds = a.Vals
	}
	total := int(s.r.Stats().Events)
	evs := s.r.Events(s.shown, total-s.shown)
	s.shown = total
	var b strings.Builder
	for _, e := range evs {
		if len(kinds) == 0 || slices.Contains(kinds, e.Kind.String()) {
			writeEvent(&b, e)
		}
	}
	return b.String(), nil
}

// traceTailCmd lists the run's last N events.
func traceTailCmd(s *script, d *datadriven.TestData) (string, error) {
	a, err := arg(d, 0)
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(a)
	if err != nil {
		return "", err
	}
	total := int(s.r.Stats().Events)
	var b strings.Builder
	for _, e := range s.r.Events(max(0, total-n), n) {
		fmt.Fprintf(&b, "%d %v %s node=%d peer=%d %s\n", e.Seq, time.Duration(e.Time), e.Kind, e.Node, e.Peer, e.Label)
	}
	return b.String(), nil
}

// writeEvent writes one event as a line: number, time, kind, node, the
// peer and message if any, label.
func writeEvent(b *strings.Builder, e trace.Event) {
	fmt.Fprintf(b, "%d %v %s node=%d", e.Seq, time.Duration(e.Time), e.Kind, e.Node)
	if e.Peer >= 0 {
		fmt.Fprintf(b, " peer=%d", e.Peer)
	}
	if e.Msg != 0 {
		fmt.Fprintf(b, " msg=%d", e.Msg)
	}
	if e.Label != "" {
		fmt.Fprintf(b, " %s", e.Label)
	}
	if e.Kind == trace.KindAttack {
		fmt.Fprintf(b, " %s", e.Data)
	}
	b.WriteByte('\n')
}
