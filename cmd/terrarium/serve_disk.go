package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/terrarium-sim/terrarium/playground"
)

// byteSize is a flag value in bytes, written as a number with an optional
// unit: 4096, 64KiB, 512MiB, 4GiB (KB, MB and GB are the same units).
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size in bytes (such as 4096, 512MiB or 4GiB)", s)
	}
	return n * mult, nil
}

// serveDiskFlags declares serve's read and disk flags and returns what
// applies them to a config.
func serveDiskFlags(fs *flag.FlagSet) func(playground.Config) playground.Config {
	modules := byteSize(playground.DefaultModuleQuota)
	runs := byteSize(playground.DefaultRunQuota)
	cache := byteSize(playground.DefaultCacheQuota)
	reserve := byteSize(playground.DefaultFreeReserve)
	page := byteSize(playground.DefaultPageBytes)
	fs.Var(&modules, "max-module-store", "quota of the module store (the modules' bytes together), as a `SIZE` such as 2GiB")
	fs.Var(&runs, "max-run-folders", "quota of all run folders together (`SIZE`); past it the oldest finished runs are removed")
	fs.Var(&cache, "max-cache", "quota of the compilation cache folder (`SIZE`)")
	fs.Var(&reserve, "free-reserve", "free disk space (`SIZE`) the server never writes into: below it uploads and new runs get 507 and runs stop")
	keep := fs.Duration("keep-runs-for", playground.DefaultRunMaxAge, "remove finished runs older than this `DURATION`")
	heavy := fs.Int("max-heavy-reads", playground.DefaultHeavyReads, "trace pages, node inspections, exports and live diagrams served at once (more get 429)")
	fs.Var(&page, "max-page", "byte cap (`SIZE`) of one trace page or node store page")
	live := fs.Int("max-live-diagram-events", playground.DefaultLiveDiagramEvents, "events the live diagram of a running run draws")
	return func(c playground.Config) playground.Config {
		return c.WithDiskQuotas(int64(modules), int64(runs), int64(cache)).WithFreeReserve(int64(reserve)).
			WithRunRetention(*keep).WithReadLimits(*heavy, int(page), *live)
	}
}
