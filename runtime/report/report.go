package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Write reads the run folder dir and writes lamport.html, stats.json,
// timeline.json and shiviz.log into it (replacing earlier ones). It reads
// the trace once, as a stream. A folder without results.json or
// trace.jsonl gives an error wrapping ErrNotRunFolder.
func Write(dir string) (err error) {
	if err := checkRunFolder(dir); err != nil {
		return err
	}
	res, err := readResults(dir)
	if err != nil {
		return err
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
	lf, lw, err := create(LamportFile)
	if err != nil {
		return err
	}
	defer lf.Close()
	sf, sw, err := create(ShiVizFile)
	if err != nil {
		return err
	}
	defer sf.Close()
	title := fmt.Sprintf("%s (seed %d)", res.Name, res.Seed)
	if p.lam, err = newLamportWriter(lw, title); err != nil {
		return fmt.Errorf("report: %s: %w", LamportFile, err)
	}
	if p.shv, err = newShiVizWriter(sw, res); err != nil {
		return fmt.Errorf("report: %s: %w", ShiVizFile, err)
	}
	if err := scanTrace(filepath.Join(dir, TraceFile), p.kinds, p.event); err != nil {
		return err
	}
	if err := p.lam.finish(p); err != nil {
		return fmt.Errorf("report: %s: %w", LamportFile, err)
	}
	if err := errors.Join(lw.Flush(), lf.Close(), sw.Flush(), sf.Close()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, out := range []struct {
		name string
		v    any
	}{{StatsFile, p.stats()}, {TimelineFile, p.timeline()}} {
		b, err := json.MarshalIndent(out.v, "", "  ")
		if err != nil {
			return fmt.Errorf("report: %s: %w", out.name, err)
		}
		tmp := filepath.Join(dir, out.name+".tmp")
		temps = append(temps, tmp)
		if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	for _, t := range temps {
		if err := os.Rename(t, t[:len(t)-len(".tmp")]); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// ErrTraceMismatch marks a run folder whose trace.jsonl does not digest to
// the trace_sha256 of its results.json: the file was changed or cut short.
var ErrTraceMismatch = errors.New("the trace does not match the run's trace_sha256")

// VerifyTrace recomputes the digest of dir's trace.jsonl and compares it
// with results.json. It returns the number of events verified.
func VerifyTrace(dir string) (uint64, error) {
	if err := checkRunFolder(dir); err != nil {
		return 0, err
	}
	res, err := readResults(dir)
	if err != nil {
		return 0, err
	}
	path := filepath.Join(dir, TraceFile)
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("report: %w: %v", ErrNotRunFolder, err)
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
	if err := checkRunFolder(dir); err != nil {
		return "", err
	}
	res, err := readResults(dir)
	if err != nil {
		return "", err
	}
	p := newPass(res)
	if err := scanTrace(filepath.Join(dir, TraceFile), p.kinds, p.event); err != nil {
		return "", err
	}
	return summarize(p), nil
}
