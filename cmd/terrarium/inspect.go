package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	runreport "github.com/terrarium-sim/terrarium/internal/report"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// cmdInspect prints the summary of a run folder; --write regenerates its
// report files first. Exit 2 when DIR is not a run folder.
func cmdInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	write := fs.Bool("write", false, "regenerate lamport.html, stats.json, timeline.json and shiviz.log in DIR")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "terrarium inspect: want one run folder DIR, got %d arguments\n%s", len(pos), usage)
		return 2
	}
	dir := pos[0]
	verified, err := runreport.VerifyTrace(dir)
	if err != nil {
		return inspectError(stderr, err)
	}
	var notes []string
	if *write {
		// The run's own trace cap is not in the folder: the default one
		// bounds the files (README, "See what happened").
		if notes, err = runreport.WriteWithin(ctx, dir, runreport.FileBound(sim.DefaultMaxTraceBytes)); err != nil {
			return inspectError(stderr, err)
		}
	}
	sum, err := runreport.Summary(dir)
	if err != nil {
		return inspectError(stderr, err)
	}
	fmt.Fprint(stdout, sum)
	fmt.Fprintf(stdout, "trace     %d events verified against trace_sha256\n", verified)
	if *write {
		var parts []string
		for _, f := range []string{runfolder.LamportFile, runfolder.StatsFile, runfolder.TimelineFile, runfolder.ShiVizFile} {
			if st, err := os.Stat(filepath.Join(dir, f)); err == nil {
				parts = append(parts, fmt.Sprintf("%s (%s)", f, size(st.Size())))
			}
		}
		fmt.Fprintf(stdout, "wrote %s: %s\n", dir, strings.Join(parts, ", "))
		for _, n := range notes {
			fmt.Fprintf(stdout, "note: %s\n", n)
		}
	}
	return 0
}

func inspectError(stderr io.Writer, err error) int {
	msg := strings.TrimPrefix(err.Error(), "report: ")
	if errors.Is(err, runreport.ErrTraceMismatch) {
		fmt.Fprintf(stderr, "terrarium inspect: %s\n(the folder's trace is not the one its run recorded: it was edited, cut short or mixed with another run's)\n", msg)
		return 2
	}
	if errors.Is(err, runfolder.ErrNotRunFolder) {
		fmt.Fprintf(stderr, "terrarium inspect: %s\n(a run folder is what `terrarium run SCENARIO --out DIR` writes)\n", msg)
		return 2
	}
	fmt.Fprintf(stderr, "terrarium inspect: %s\n", msg)
	return 1
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// cmdKV prints the key/value pairs of a node's store kept by
// `terrarium run --persist --out DIR`, one "key<TAB>value" line each, in key
// order. Keys and values print as text when printable, else as 0x-hex.
func cmdKV(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prefix := fs.String("prefix", "", "print only the keys that start with `P`")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "terrarium kv: want a run folder DIR and a NODE, got %d arguments\n%s", len(pos), usage)
		return 2
	}
	dir, node := pos[0], pos[1]
	stores := filepath.Join(dir, "stores")
	have := storeNodes(stores)
	if !contains(have, node) {
		if len(have) == 0 {
			fmt.Fprintf(stderr, "terrarium kv: %s holds no node stores (no %s); `terrarium run SCENARIO --out DIR --persist` keeps them\n", dir, stores)
		} else {
			fmt.Fprintf(stderr, "terrarium kv: node %q has no store in %s; nodes with a store: %s\n", node, stores, strings.Join(have, ", "))
		}
		return 2
	}
	path := filepath.Join(stores, node)
	st, err := nodes.OpenStoreReadOnly(path)
	if err != nil {
		fmt.Fprintf(stderr, "terrarium kv: %v\n", err)
		return 1
	}
	w := bufio.NewWriter(stdout)
	n := 0
	err = st.Scan([]byte(*prefix), func(k, v []byte) {
		n++
		w.WriteString(printable(k))
		w.WriteByte('\t')
		w.WriteString(printable(v))
		w.WriteByte('\n')
	})
	err = errors.Join(err, w.Flush(), st.Close())
	if err != nil {
		fmt.Fprintf(stderr, "terrarium kv: %v\n", err)
		return 1
	}
	what := "keys"
	if *prefix != "" {
		what = fmt.Sprintf("keys with prefix %q", *prefix)
	}
	fmt.Fprintf(stderr, "%d %s in %s\n", n, what, path)
	return 0
}

// storeNodes lists the node stores under dir: sub-folders holding a Badger
// database (a MANIFEST file).
func storeNodes(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "MANIFEST")); err == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// printable returns b as text if it is valid UTF-8 made of printable
// characters (tabs and line breaks are not), else as 0x followed by hex.
func printable(b []byte) string {
	if utf8.Valid(b) && !strings.HasPrefix(string(b), "0x") {
		ok := true
		for _, r := range string(b) {
			if !unicode.IsPrint(r) {
				ok = false
				break
			}
		}
		if ok {
			return string(b)
		}
	}
	return "0x" + hex.EncodeToString(b)
}
