package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/terrarium-sim/terrarium/internal/worker"
	"github.com/terrarium-sim/terrarium/playground"
)

// workerFlags adds serve's worker flags to fs; the function it returns
// applies them to a config.
func workerFlags(fs *flag.FlagSet) func(playground.Config) (playground.Config, error) {
	inProcess := fs.Bool("in-process", false, "run guest code and module validation in the server's own process instead of supervised `terrarium worker` processes (development only: a hostile module can then stop the server)")
	mem := fs.Int64("worker-memory", playground.DefaultWorkerMemory>>20, "each run worker's data limit in `MiB` (RLIMIT_DATA), on top of its nodes' linear memory (nodes × memory_pages × 64 KiB); a run past it ends, verdict unknown")
	cpu := fs.Int64("worker-cpu", playground.DefaultWorkerCPU, "each run worker's CPU time limit in `SECONDS` (RLIMIT_CPU)")
	files := fs.Int64("worker-files", playground.DefaultWorkerFiles, "each run worker's open files limit (RLIMIT_NOFILE)")
	disk := fs.Int64("worker-file-size", playground.DefaultWorkerFileBytes>>20, "the largest file a run worker may write, in `MiB` (RLIMIT_FSIZE): its trace and reports")
	isolate := fs.String("isolate", "auto", "start workers in new network, IPC and PID namespaces: on, off, or auto (on where the machine allows it)")
	return func(cfg playground.Config) (playground.Config, error) {
		if *inProcess {
			return cfg, nil
		}
		if !worker.Supported {
			fmt.Fprintln(os.Stderr, "terrarium serve: worker processes need Linux; runs execute in the server's process (as with --in-process)")
			return cfg, nil
		}
		bin, err := os.Executable()
		if err != nil {
			return cfg, fmt.Errorf("cannot find this binary to start workers (use --in-process): %w", err)
		}
		var iso bool
		switch *isolate {
		case "on":
			iso = true
		case "off":
		case "auto":
			iso = worker.CanIsolate(bin)
		default:
			return cfg, fmt.Errorf("--isolate %q: want on, off or auto", *isolate)
		}
		return cfg.WithWorkers(bin).WithWorkerLimits(*mem<<20, *cpu, *files, *disk<<20, iso).WithWorkerReserve(true), nil
	}
}
