package main

import (
	"context"
	"fmt"
	"io"

	"github.com/terrarium-sim/terrarium/internal/worker"
	"github.com/terrarium-sim/terrarium/playground"
)

// cmdWorker is `terrarium worker run|validate`: the child processes
// `terrarium serve` starts to run guest code and compilers outside its own
// process. Their input and output are the server's, not a public format.
func cmdWorker(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "terrarium worker: internal to terrarium serve: worker run|validate")
		return 2
	}
	switch args[0] {
	case "run", "validate":
		// Before anything else: no program, network or other process
		// for whatever runs here.
		if err := worker.Confine(); err != nil {
			fmt.Fprintln(stderr, "terrarium worker:", err)
			return 2
		}
	}
	switch args[0] {
	case "run":
		ln, err := worker.Listener()
		if err != nil {
			fmt.Fprintln(stderr, "terrarium worker:", err)
			return 2
		}
		if err := playground.RunWorker(ctx, stdin, stdout, ln); err != nil {
			fmt.Fprintln(stderr, "terrarium worker:", err)
			return 1
		}
		return 0
	case "validate":
		if err := playground.ValidateWorker(ctx, args[1:], stdin, stdout); err != nil {
			fmt.Fprintln(stderr, "terrarium worker:", err)
			return 1
		}
		return 0
	case "probe":
		return 0
	}
	fmt.Fprintf(stderr, "terrarium worker: unknown worker %q (run, validate)\n", args[0])
	return 2
}
