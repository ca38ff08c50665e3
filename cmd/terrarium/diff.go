package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	runreport "github.com/terrarium-sim/terrarium/internal/report"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// cmdDiff compares the traces of two runs and prints the first event where
// they differ, with the events before it. RUN_A and RUN_B are run folders
// (checked against their results.json first) or trace files. Exit 0 when
// the traces are the same, 1 when they differ, 2 on bad input.
func cmdDiff(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	before := fs.Int("context", 5, "print `N` events before the first difference")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 2 || *before < 0 {
		fmt.Fprintf(stderr, "terrarium diff: want two run folders or trace files RUN_A RUN_B and --context N >= 0, got %d arguments\n%s", len(pos), usage)
		return 2
	}
	var paths [2]string
	for i, p := range pos {
		if paths[i], err = checkTrace(p); err != nil {
			fmt.Fprintf(stderr, "terrarium diff: %s\n", strings.TrimPrefix(err.Error(), "report: "))
			return 2
		}
	}
	d, err := diffFiles(paths[0], paths[1], *before)
	if err != nil {
		fmt.Fprintf(stderr, "terrarium diff: %v\n", err)
		return 2
	}
	if d.Same() {
		fmt.Fprintf(stdout, "identical: %d events, trace_sha256 %s\n", d.EventsA, d.DigestA)
		return 0
	}
	printDivergence(stdout, d)
	return 1
}

// checkTrace returns the trace file of arg, a run folder or a trace file,
// after reading it through: a run folder's trace must digest to its
// results.json's trace_sha256, a trace file must be well formed.
func checkTrace(arg string) (string, error) {
	st, err := os.Stat(arg)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		if _, err := runreport.VerifyTrace(arg); err != nil {
			if errors.Is(err, runfolder.ErrNotRunFolder) {
				return "", fmt.Errorf("%w (a run folder is what `terrarium run SCENARIO --out DIR` writes)", err)
			}
			return "", err
		}
		return filepath.Join(arg, runfolder.TraceFile), nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, _, err := trace.Verify(f); err != nil {
		return "", fmt.Errorf("%s: %w", arg, err)
	}
	return arg, nil
}

func diffFiles(a, b string, before int) (trace.Divergence, error) {
	fa, err := os.Open(a)
	if err != nil {
		return trace.Divergence{}, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return trace.Divergence{}, err
	}
	defer fb.Close()
	return trace.Diff(fa, fb, before)
}

// printDivergence prints where two traces part: the events before, then
// each trace's version of the first event that differs.
func printDivergence(w io.Writer, d trace.Divergence) {
	at := d.A
	if at == nil {
		at = d.B
	}
	fmt.Fprintf(w, "runs differ at event %d (t=%v); A has %d events, B %d\n", d.Index, time.Duration(at.Time), d.EventsA, d.EventsB)
	for _, e := range d.Before {
		fmt.Fprintf(w, "  %s\n", e.AppendJSON(nil))
	}
	for _, side := range []struct {
		mark string
		e    *trace.Event
		n    uint64
	}{{"- A", d.A, d.EventsA}, {"+ B", d.B, d.EventsB}} {
		if side.e == nil {
			fmt.Fprintf(w, "%s ends after event %d\n", side.mark, side.n)
			continue
		}
		fmt.Fprintf(w, "%s %s\n", side.mark, side.e.AppendJSON(nil))
	}
	fmt.Fprintf(w, "A trace_sha256 %s\nB trace_sha256 %s\n", d.DigestA, d.DigestB)
}
