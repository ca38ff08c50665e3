// Package playground is Terrarium's HTTP server: a JSON API under /api/v1
// (modules, runs, live control, time travel, the patterns gallery; described
// by the OpenAPI document at /api/openapi.json) and the browser playground,
// embedded in the binary, that uses it.
//
// Uploaded modules live in the server's own Badger database, content
// addressed by SHA-256: a module's bytes and metadata are one synced
// transaction, so a crash never leaves a partial module listed.
//
// A run is a timeline: a scenario, a seed and the faults applied by hand,
// each pinned where it happened. Its simulation (a runner.Handle) is a
// cache of that timeline. It can always be rebuilt by replay, which is how
// time travel works (seek back = replay to an event), how a fork starts (the
// actions up to the event, then a different one), and how an idle run gives
// its memory back. One mutex per run orders everything that drives the
// simulation: the pacing loop's slices (virtual time per wall tick, at most
// a bounded number of events each, under the run's wall-clock budget and
// event cap) and every command. The live stream reads each client's events
// through a bounded subscription and, when the client falls behind, catches
// it up from the retained trace, so no client makes the server buffer more
// than its subscription.
//
// With Config.WithWorkers (as `terrarium serve` runs it) no guest code runs
// in the server: each run is held by a `terrarium worker run` process under
// OS limits, running this same single-run code, and the server proxies the
// run's routes to it (workers.go); each upload is validated by a
// short-lived `terrarium worker validate` process.
package playground

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/terrarium-sim/terrarium/internal/worker"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// APIPrefix is the versioned prefix of every API route.
const APIPrefix = "/api/v1"

// Defaults for Config.
const (
	DefaultMaxBody        = 1 << 20
	DefaultMaxModuleBytes = 16 << 20
	DefaultMaxRuns        = 4
	// DefaultMaxNodes is the CLI's own bound on a scenario's nodes (and
	// workload clients): the server refuses no node count the CLI takes;
	// what bounds a big run is the memory budget (nodes × limits), and an
	// operator lowers it with serve --max-nodes.
	DefaultMaxNodes         = scenario.MaxNodes
	DefaultMaxVirtual       = 5 * time.Minute
	DefaultWallBudget       = 2 * time.Minute
	DefaultMaxKeptRuns      = 64
	DefaultSubscriberBuffer = 512
	DefaultMaxEvents        = 2_000_000
	// DefaultMaxStreams bounds the live event streams open at once.
	DefaultMaxStreams = 64
	// DefaultIdleClose is how long a run nobody touches keeps its
	// simulation in memory; it is rebuilt by replay when needed again.
	DefaultIdleClose = 2 * time.Minute
	// DefaultMaxFuel caps a guest callback's CPU budget on the server: the
	// CLI's default (2e9), so that a run gets the CLI's verdict.
	DefaultMaxFuel = limits.DefaultFuel
	// DefaultMaxMemoryPages caps a node's memory on the server: the CLI's
	// default (256 MiB).
	DefaultMaxMemoryPages = limits.DefaultMemoryPages
	// DefaultMinBodyRate and DefaultBodyRateWindow: a request body must
	// bring at least 16 KiB in every 10 s, or it gets 408.
	DefaultMinBodyRate    = 16 << 10 / 10
	DefaultBodyRateWindow = 10 * time.Second
)

// Config configures a Server. Start from NewConfig; every With method
// returns a changed copy.
type Config struct {
	dataDir     string
	token       string
	cors        []string
	maxBody     int64
	maxModule   int
	pluginsDir  string
	uiDir       string
	maxRuns     int
	maxNodes    int
	maxVirtual  time.Duration
	wallBudget  time.Duration
	maxKeptRuns int
	subBuffer   int
	maxEvents   uint64
	idleClose   time.Duration
	maxStreams  int
	maxLimits   scenario.Limits
	memBudget   int64
	maxFaults   int
	// costCap caps a run's worst-case memory (a run worker's server gets
	// its worker's memory limit; see Config.cost).
	costCap    int64
	uploadRate int64
	rateWindow time.Duration
	logger     *log.Logger
	noPreload  bool
	// Reads (reads.go) and disk (disk.go).
	heavyReads  int
	pageBytes   int
	liveEvents  int
	moduleQuota int64
	runQuota    int64
	cacheQuota  int64
	reserve     int64
	freeSpace   FreeSpaceFunc
	runMaxAge   time.Duration
	// workerBin, if set, runs runs and validations in worker processes
	// (workers.go) under workerLimits.
	workerBin    string
	workerLimits worker.Limits
	// workerReserve grows a worker's data limit by its run's linear
	// memory (Config.workerMemory).
	workerReserve bool
	workerHang    time.Duration
	// jobs caps background jobs (jobs.go).
	jobs JobLimits
}

// NewConfig returns the defaults: an in-memory module store, no token, CORS
// off, DefaultMaxBody, DefaultMaxModuleBytes, the plugins folder found from
// the working directory, the embedded UI.
func NewConfig() Config {
	return Config{
		maxBody: DefaultMaxBody, maxModule: DefaultMaxModuleBytes,
		maxRuns: DefaultMaxRuns, maxNodes: DefaultMaxNodes, maxVirtual: DefaultMaxVirtual,
		wallBudget: DefaultWallBudget, maxKeptRuns: DefaultMaxKeptRuns, subBuffer: DefaultSubscriberBuffer,
		maxEvents: DefaultMaxEvents, idleClose: DefaultIdleClose, maxStreams: DefaultMaxStreams,
		maxLimits: DefaultMaxLimits(), memBudget: DefaultMemoryBudget, maxFaults: DefaultMaxFaults,
		uploadRate: DefaultMinBodyRate, rateWindow: DefaultBodyRateWindow,
		heavyReads: DefaultHeavyReads, pageBytes: DefaultPageBytes, liveEvents: DefaultLiveDiagramEvents,
		moduleQuota: DefaultModuleQuota, runQuota: DefaultRunQuota, cacheQuota: DefaultCacheQuota, reserve: DefaultFreeReserve, runMaxAge: DefaultRunMaxAge,
		workerLimits: defaultWorkerLimits(), workerHang: DefaultWorkerWatchdog, jobs: DefaultJobLimits(),
	}
}

// WithDataDir keeps the module store and run folders under dir ("" keeps
// modules in memory and runs in a temporary folder).
func (c Config) WithDataDir(dir string) Config { c.dataDir = dir; return c }

// WithToken requires "Authorization: Bearer token" on every write
// (POST, PUT, PATCH, DELETE); "" turns the check off.
func (c Config) WithToken(token string) Config { c.token = token; return c }

// WithCORS allows cross-origin requests from the given origins ("*" for
// any). No origins, the default, leaves CORS off.
func (c Config) WithCORS(origins ...string) Config {
	c.cors = append([]string(nil), origins...)
	return c
}

// WithMaxBody caps request bodies other than module uploads, in bytes.
func (c Config) WithMaxBody(n int64) Config { c.maxBody = n; return c }

// WithMaxModuleBytes caps an uploaded module's size.
func (c Config) WithMaxModuleBytes(n int) Config { c.maxModule = n; return c }

// WithPluginsDir sets the folder holding the pattern plugins (their
// README.md and scenario files); "" finds plugins/ from the working directory up.
func (c Config) WithPluginsDir(dir string) Config { c.pluginsDir = dir; return c }

// WithUIDir serves the playground from a folder on disk instead of the
// embedded copy (for working on the UI without rebuilding).
func (c Config) WithUIDir(dir string) Config { c.uiDir = dir; return c }

// WithRunLimits sets how many runs may execute at once (more are refused
// with 429 and Retry-After), the largest node count, the longest virtual
// duration and the wall-clock budget of one run.
func (c Config) WithRunLimits(concurrent, nodes int, virtual, wall time.Duration) Config {
	c.maxRuns, c.maxNodes, c.maxVirtual, c.wallBudget = concurrent, nodes, virtual, wall
	return c
}

// WithMaxEvents caps the trace events one run may record; a run that
// records more stops, verdict unknown. It bounds a run's memory.
func (c Config) WithMaxEvents(n uint64) Config {
	c.maxEvents = n
	c.maxLimits.MaxEvents = int64(min(n, 1<<62))
	return c
}

// WithMaxStreams bounds the live event streams (SSE clients) open at once;
// more are refused with 429.
func (c Config) WithMaxStreams(n int) Config { c.maxStreams = n; return c }

// WithIdleClose sets how long a run that is not running, and that nobody
// touches, keeps its simulation in memory. A closed one is rebuilt by
// replaying its timeline when it is needed again (a finished run's trace
// is read from its folder instead).
func (c Config) WithIdleClose(d time.Duration) Config { c.idleClose = d; return c }

// WithGuestLimits caps every guest's fuel per callback and memory pages.
// A scenario that asks for less keeps its own; one that asks for more, or
// sets nothing, gets the cap, written into its limits (so an export replays
// under the same limits).
func (c Config) WithGuestLimits(fuel int64, pages int) Config {
	c.maxLimits.Fuel, c.maxLimits.MemoryPages = fuel, pages
	return c
}

// WithMaxLimits sets the server's maximum of every limits: field that max
// sets (its zero fields keep their current maximum; DefaultMaxLimits lists
// the defaults). A scenario that asks for less keeps its own; one that asks
// for more, or sets nothing, gets the maximum, written into its limits. The
// run's status shows the limits it runs under. max_events is also the
// server's event cap (WithMaxEvents).
func (c Config) WithMaxLimits(max scenario.Limits) Config {
	mv, cv := reflect.ValueOf(max), reflect.ValueOf(&c.maxLimits).Elem()
	for i := range mv.NumField() {
		if v := mv.Field(i).Int(); v > 0 {
			cv.Field(i).SetInt(v)
		}
	}
	if max.MaxEvents > 0 {
		c.maxEvents = uint64(max.MaxEvents)
	}
	return c
}

// WithMemoryBudget bounds the memory all open runs together may need at
// worst, estimated from each run's limits and node count: every node's
// memory_pages, store_bytes, fs_bytes, in_flight_bytes and
// log_bytes_per_run, plus the run's max_trace_bytes. A run that alone needs
// more is refused (422); one that does not fit beside the others gets 503
// with Retry-After.
func (c Config) WithMemoryBudget(bytes int64) Config { c.memBudget = bytes; return c }

// WithMaxFaults caps the faults applied by hand to one run (POST
// /runs/{id}/faults and fork); more are refused with 409.
func (c Config) WithMaxFaults(n int) Config { c.maxFaults = n; return c }

// WithMinBodyRate sets the slowest a request body may arrive: at least
// bytesPerSec on average over every window (a body that sends less within a
// window gets 408). Bodies are read, uploads spooled to disk, before they
// take an upload slot.
func (c Config) WithMinBodyRate(bytesPerSec int64, window time.Duration) Config {
	c.uploadRate, c.rateWindow = bytesPerSec, window
	return c
}

// WithPreload chooses whether New builds the patterns' modules in the
// background (on by default), so that the first run of a pattern starts
// at once and the modules list shows them.
func (c Config) WithPreload(on bool) Config { c.noPreload = !on; return c }

// WithKeptRuns sets how many finished runs the server remembers; the
// oldest are forgotten (and their folders removed) first.
func (c Config) WithKeptRuns(n int) Config { c.maxKeptRuns = n; return c }

// WithSubscriberBuffer sets how many events a live stream client may fall
// behind by before events are dropped for it (it is told, and resyncs).
func (c Config) WithSubscriberBuffer(n int) Config { c.subBuffer = n; return c }

// WithLogger sets where the server logs; nil discards.
func (c Config) WithLogger(l *log.Logger) Config { c.logger = l; return c }

func (c Config) validate() error {
	switch {
	case c.maxBody <= 0:
		return fmt.Errorf("playground: max body %d must be positive", c.maxBody)
	case c.maxModule <= 0:
		return fmt.Errorf("playground: max module size %d must be positive", c.maxModule)
	case c.maxRuns <= 0 || c.maxNodes <= 0 || c.maxVirtual <= 0 || c.wallBudget <= 0:
		return fmt.Errorf("playground: run limits must be positive")
	case c.maxNodes > scenario.MaxNodes:
		return fmt.Errorf("playground: max nodes %d is more than a scenario may have (%d)", c.maxNodes, scenario.MaxNodes)
	case c.maxKeptRuns <= 0 || c.subBuffer <= 0 || c.maxEvents == 0 || c.idleClose <= 0 || c.maxStreams <= 0:
		return fmt.Errorf("playground: kept runs, subscriber buffer and max events must be positive")
	case c.workerHang <= 0:
		return fmt.Errorf("playground: worker watchdog %v must be positive", c.workerHang)
	case c.maxLimits.Fuel < 1000 || c.maxLimits.MemoryPages <= 0 || c.maxLimits.MemoryPages > 65536:
		return fmt.Errorf("playground: guest limits: fuel %d must be at least 1000, memory %d pages in 1..65536", c.maxLimits.Fuel, c.maxLimits.MemoryPages)
	case c.memBudget <= 0 || c.maxFaults <= 0:
		return fmt.Errorf("playground: memory budget %d and max faults %d must be positive", c.memBudget, c.maxFaults)
	case c.uploadRate <= 0 || c.rateWindow <= 0:
		return fmt.Errorf("playground: minimum body rate %d B/s over %v must be positive", c.uploadRate, c.rateWindow)
	}
	return errors.Join(c.validateReads(), c.validateDisk(), c.jobs.validate())
}

// Server is the HTTP API and playground. Create it with New, serve
// Handler, and Close it.
type Server struct {
	cfg     Config
	e       *echo.Echo
	store   *Store
	gallery *gallery
	runs    *runs
	pool    *pool // runs in worker processes, if cfg.workerBin is set
	runDir  string
	tmpDir  string
	reg     *runner.Registry
	modules *runner.Modules
	preload sync.WaitGroup
	// stopCtx ends when Close starts, stopping background work.
	stopCtx  context.Context
	stopWork context.CancelFunc
	// validators bounds concurrent module validations, uploads the
	// uploads being read into memory, streams the open event streams.
	validators chan struct{}
	uploads    chan struct{}
	streams    chan struct{}
	// heavy bounds the heavy reads served at once (reads.go).
	heavy chan struct{}
	// disk tracks quotas and free space (disk.go); readOnly is set when the
	// server started on a full disk; cacheDir is the compilation cache.
	disk     *disk
	readOnly bool
	cacheDir string
	retainMu sync.Mutex
	started  time.Time
	// inWorker is set in a run worker's single-run server: it shares the
	// runs folder with its server and every other worker, so it measures
	// it but never removes a folder nor trims the cache (its server does).
	inWorker bool
	// spools bounds the upload bodies being spooled to spoolDir at once.
	spools   chan struct{}
	spoolDir string
	// jobs are the background sweeps, shrinks and searches (jobs.go).
	jobs *jobs
}

// New opens the module store and builds the routes.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, validators: make(chan struct{}, 2), uploads: make(chan struct{}, 4), spools: make(chan struct{}, maxSpools), streams: make(chan struct{}, cfg.maxStreams),
		heavy: make(chan struct{}, cfg.heavyReads), disk: &disk{free: cfg.freeSpace}, started: time.Now()}
	if s.disk.free == nil {
		s.disk.free = statfsFree
	}
	s.stopCtx, s.stopWork = context.WithCancel(context.Background())
	storeDir := ""
	if cfg.dataDir != "" {
		storeDir = filepath.Join(cfg.dataDir, "modules")
		s.runDir = filepath.Join(cfg.dataDir, "runs")
	} else {
		tmp, err := os.MkdirTemp("", "terrarium-serve-")
		if err != nil {
			return nil, fmt.Errorf("playground: %w", err)
		}
		s.tmpDir, s.runDir = tmp, filepath.Join(tmp, "runs")
	}
	if err := os.MkdirAll(s.runDir, 0o755); err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	s.cacheDir = filepath.Join(filepath.Dir(s.runDir), "cache")
	// Upload bodies wait here, on disk, until they take an upload slot;
	// what a crash left behind is removed. On a full disk the folder may
	// not be made: the server still starts (read-only) and uploads are
	// refused with 507 when they try to spool.
	s.spoolDir = filepath.Join(filepath.Dir(s.runDir), "spool")
	if err := errors.Join(os.RemoveAll(s.spoolDir), os.MkdirAll(s.spoolDir, 0o700)); err != nil {
		s.logf("playground: spool folder: %v", err)
	}
	st, err := s.openStore(storeDir)
	if err != nil {
		s.cleanup()
		return nil, err
	}
	s.store = st
	if s.gallery, err = loadGallery(cfg.pluginsDir); err != nil {
		s.cleanup()
		return nil, err
	}
	s.reg = patterns.Registry()
	s.modules = runner.NewModules().WithSource(func(_ context.Context, sha string) ([]byte, error) {
		return s.store.Wasm(sha)
	})
	s.runs = newRuns(s)
	s.jobs = newJobs()
	if cfg.workerBin != "" {
		base := cfg.dataDir
		if base == "" {
			base = s.tmpDir
		}
		if s.pool, err = newPool(s, base); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	s.restoreRuns()
	s.retain()
	s.e = s.routes()
	if !cfg.noPreload {
		s.preload.Add(1)
		go s.preloadPatterns()
	}
	return s, nil
}

func (s *Server) cleanup() {
	s.stopWork()
	if s.store != nil {
		_ = s.store.Close()
	}
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.e }

// Close stops every run and closes the module store.
func (s *Server) Close() error {
	s.stopWork()
	s.closeJobs()
	if s.pool != nil {
		s.pool.closeAll()
	}
	s.runs.closeAll()
	s.preload.Wait()
	err := s.store.Close()
	if s.tmpDir != "" {
		err = errors.Join(err, os.RemoveAll(s.tmpDir))
	}
	return err
}

// Store returns the server's module store.
func (s *Server) Store() *Store { return s.store }

func (s *Server) logf(format string, args ...any) {
	if s.cfg.logger != nil {
		s.cfg.logger.Printf(format, args...)
	}
}

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.Use(s.guard)
	if len(s.cfg.cors) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: s.cfg.cors,
			AllowHeaders: []string{"Authorization", "Content-Type"}}))
	}
	e.Use(s.auth)
	e.GET("/api/openapi.json", s.openAPI)
	api := e.Group(APIPrefix)
	if s.pool != nil {
		api.Use(s.viaWorkers)
	}
	api.GET("/health", s.health)
	api.POST("/modules", s.uploadModule)
	api.GET("/modules", s.listModules)
	api.GET("/modules/:sha", s.getModule)
	api.GET("/modules/:sha/wasm", s.downloadModule)
	api.DELETE("/modules/:sha", s.deleteModule)
	api.GET("/patterns", s.listPatterns)
	api.GET("/patterns/:name", s.getPattern)
	api.GET("/patterns/:name/files/:file", s.patternFile)
	s.runRoutes(api)
	s.jobRoutes(api)
	s.uiRoutes(e)
	return e
}

// auth guards every write with the bearer token, if one is set.
func (s *Server) auth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.token == "" {
			return next(c)
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		h := c.Request().Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.token)) != 1 {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="terrarium"`)
			return apiErr(http.StatusUnauthorized, "unauthorized", "this server needs a bearer token for writes (Authorization: Bearer TOKEN)")
		}
		return next(c)
	}
}

// readBody reads the request body, refusing one longer than max with 413.
func readBody(c echo.Context, max int64, what string) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > max {
		return nil, apiErr(http.StatusRequestEntityTooLarge, "too_large", "%s of %d bytes is over the limit of %d bytes", what, r.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if errors.Is(err, errSlowBody) {
		return nil, apiErr(http.StatusRequestTimeout, "timeout", "reading %s: %v", what, err)
	}
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, "bad_request", "reading %s: %v", what, err)
	}
	if int64(len(b)) > max {
		return nil, apiErr(http.StatusRequestEntityTooLarge, "too_large", "%s is over the limit of %d bytes", what, max)
	}
	return b, nil
}

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"ok": true, "max_module_bytes": s.cfg.maxModule,
		"token_required": s.cfg.token != "", "limits": s.limits(), "read_only": s.readOnly})
}

// Limits are the run limits, as the API reports them.
type Limits struct {
	ConcurrentRuns int    `json:"concurrent_runs"`
	MaxNodes       int    `json:"max_nodes"`
	MaxVirtual     string `json:"max_virtual"`
	WallBudget     string `json:"wall_budget"`
	// MemoryBudget is the memory all open runs together may need at worst.
	MemoryBudget int64 `json:"memory_budget_bytes"`
	// MaxFaults caps the faults applied by hand to one run.
	MaxFaults int `json:"max_faults"`
	// Max is the server's maximum of every limits: field.
	Max scenario.Limits `json:"max_limits"`
}

func (s *Server) limits() Limits {
	return Limits{s.cfg.maxRuns, s.cfg.maxNodes, s.cfg.maxVirtual.String(), s.cfg.wallBudget.String(), s.cfg.memBudget, s.cfg.maxFaults, s.cfg.maxLimits}
}
