package report

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Write reads the run folder dir and writes lamport.html, stats.json,
// timeline.json and shiviz.log into it (replacing earlier ones), each within
// FileBound of the default trace cap: WriteWithin with no deadline.
func Write(dir string) error {
	_, err := WriteWithin(context.Background(), dir, FileBound(sim.DefaultMaxTraceBytes))
	return err
}

// WriteWithin reads the run folder dir and writes lamport.html, stats.json,
// timeline.json and shiviz.log into it (replacing earlier ones), each cut at
// bound bytes (0: no bound; at least MinFileBytes). It reads the trace once, as a stream, and stops
// with ctx's error when ctx is done, leaving the earlier files in place. A
// folder without results.json or trace.jsonl gives an error wrapping
// runfolder.ErrNotRunFolder.
//
// A file past its bound is cut: it says so itself (lamport.html in its
// title bar and overview, shiviz.log in its header, stats.json and
// timeline.json in a "cut" field), and the returned notes say what was left
// out. They replace, in results.json's report_notes, the notes about these
// files that an earlier Write (or an interrupted run) left there.
func WriteWithin(ctx context.Context, dir string, bound int64) (notes []string, err error) {
	if err := runfolder.Check(dir); err != nil {
		return nil, err
	}
	res, err := runfolder.ReadResults(dir)
	if err != nil {
		return nil, err
	}
	if bound > 0 {
		bound = max(bound, MinFileBytes)
	}
	p := newPass(res)

	var temps []string
	defer func() {
		if err != nil {
			for _, t := range temps {
				os.Remove(t)
			}
		}
	}()
	create := func(name string) (*os.File, *bufio.Writer, error) {
		f, err := os.Create(filepath.Join(dir, name+".tmp"))
		if err != nil {
			return nil, nil, fmt.Errorf("report: %w", err)
		}
		temps = append(temps, f.Name())
		return f, bufio.NewWriterSize(f, 1<<20), nil
	}
	lf, lw, err := create(runfolder.LamportFile)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	sf, sw, err := create(runfolder.ShiVizFile)
	if err != nil {
		return nil, err
	}
	defer sf.Close()
	title := fmt.Sprintf("%s (seed %d)", res.Name, res.Seed)
	if p.lam, err = newLamportWriter(lw, title, bound); err != nil {
		return nil, fmt.Errorf("report: %s: %w", runfolder.LamportFile, err)
	}
	if p.shv, err = newShiVizWriter(sw, res, bound); err != nil {
		return nil, fmt.Errorf("report: %s: %w", runfolder.ShiVizFile, err)
	}
	if err := scanTraceContext(ctx, filepath.Join(dir, runfolder.TraceFile), p.kinds, p.event); err != nil {
		return nil, err
	}
	if err := p.lam.finish(p); err != nil {
		return nil, fmt.Errorf("report: %s: %w", runfolder.LamportFile, err)
	}
	if p.lam.note != "" {
		notes = append(notes, p.lam.note)
	}
	if err := errors.Join(lw.Flush(), sw.Flush()); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if p.shv.cut {
		if _, err := sf.WriteAt([]byte(p.shv.cutNote()), p.shv.noteAt); err != nil {
			return nil, fmt.Errorf("report: %s: %w", runfolder.ShiVizFile, err)
		}
		notes = append(notes, boundNote(runfolder.ShiVizFile, bound, fmt.Sprintf("the first %d of %d host events", p.shv.kept, p.shv.total)))
	}
	if err := errors.Join(lf.Close(), sf.Close()); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	stats, tl := p.stats(), p.timeline()
	for _, out := range []struct {
		name string
		v    any
		cut  func(note string) any
	}{
		{runfolder.StatsFile, stats, func(note string) any {
			stats.Types, stats.Ops.ByF, stats.DropReasons, stats.Cut = nil, nil, nil, note
			return stats
		}},
		{runfolder.TimelineFile, tl, func(note string) any {
			tl.Nodes, tl.Cut = nil, note
			return tl
		}},
	} {
		b, err := json.MarshalIndent(out.v, "", "  ")
		if err == nil && bound > 0 && int64(len(b)) >= bound {
			note := boundNote(out.name, bound, "only the totals are here")
			b, err = json.MarshalIndent(out.cut(note), "", "  ")
			notes = append(notes, note)
		}
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", out.name, err)
		}
		tmp := filepath.Join(dir, out.name+".tmp")
		temps = append(temps, tmp)
		if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	for _, t := range temps {
		if err := os.Rename(t, t[:len(t)-len(".tmp")]); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	if err := noteResults(dir, notes); err != nil {
		return nil, err
	}
	return notes, nil
}

// ErrTraceMismatch marks a run folder whose trace.jsonl does not digest to
// the trace_sha256 of its results.json: the file was changed or cut short.
var ErrTraceMismatch = errors.New("the trace does not match the run's trace_sha256")

// VerifyTrace recomputes the digest of dir's trace.jsonl and compares it
// with results.json. It returns the number of events verified.
func VerifyTrace(dir string) (uint64, error) {
	if err := runfolder.Check(dir); err != nil {
		return 0, err
	}
	res, err := runfolder.ReadResults(dir)
	if err != nil {
		return 0, err
	}
	path := filepath.Join(dir, runfolder.TraceFile)
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("report: %w: %v", runfolder.ErrNotRunFolder, err)
	}
	defer f.Close()
	digest, n, err := trace.Verify(f)
	if err != nil {
		return 0, fmt.Errorf("report: %s: %w: %v", path, ErrTraceMismatch, err)
	}
	if digest != res.TraceSHA256 {
		return 0, fmt.Errorf("report: %s: %w: its %d events digest to %s, results.json says %s", path, ErrTraceMismatch, n, digest, res.TraceSHA256)
	}
	return n, nil
}

// Summary reads the run folder dir and returns a one-screen text summary:
// verdict, seed, digest, checks, message statistics by type (top 10),
// crashes, faults and one timeline line per node.
func Summary(dir string) (string, error) {
	if err := runfolder.Check(dir); err != nil {
		return "", err
	}
	res, err := runfolder.ReadResults(dir)
	if err != nil {
		return "", err
	}
	p := newPass(res)
	if err := scanTrace(filepath.Join(dir, runfolder.TraceFile), p.kinds, p.event); err != nil {
		return "", err
	}
	return summarize(p), nil
}
