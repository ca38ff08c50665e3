package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
)

// cmdPatterns lists the pattern plugins with their category and summary.
func cmdPatterns(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprintln(stdout, "usage: terrarium patterns (lists the pattern plugins; takes no arguments)")
		return 0
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "terrarium patterns: takes no arguments\n%s", usage)
		return 2
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PATTERN\tCATEGORY\tSUMMARY")
	for _, p := range patterns.All() {
		fmt.Fprintf(w, "%s (%s)\t%s\t%s\n", p.Title, p.Name, p.Category, p.Summary)
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	fmt.Fprintln(stdout, "Each has plugins/NAME/scenario.yaml (passes), limit.yaml (shows its limitation) and broken.yaml (fails).")
	return 0
}
