package playground

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Disk defaults. The server keeps what it writes within quotas, keeps a
// reserve of free space that it never writes into, and answers 507
// Insufficient Storage instead of writing past either.
const (
	// DefaultModuleQuota caps the bytes of all stored modules.
	DefaultModuleQuota int64 = 2 << 30
	// DefaultRunQuota caps the bytes of all run folders together.
	DefaultRunQuota int64 = 4 << 30
	// DefaultCacheQuota caps the compilation cache's folder.
	DefaultCacheQuota int64 = 1 << 30
	// DefaultFreeReserve is the free space below which the server writes
	// nothing more (uploads and new runs get 507, runs stop). It also
	// covers the pages of Badger's memory-mapped files that a write may
	// touch: writing into such a page on a full disk is a SIGBUS, not an
	// error, so the reserve is what keeps the process alive.
	DefaultFreeReserve int64 = 256 << 20
	// DefaultRunMaxAge is how long a finished run's folder is kept.
	DefaultRunMaxAge = 7 * 24 * time.Hour
	// runHeadroom is the free space, past the reserve, a new run needs.
	runHeadroom = 4 << 20
)

// ErrInsufficientStorage marks a write the server refused because a quota
// or the free-space reserve would be passed.
var ErrInsufficientStorage = errors.New("playground: insufficient storage")

// FreeSpaceFunc returns the bytes an unprivileged writer may still use on
// the file system that holds path.
type FreeSpaceFunc func(path string) (uint64, error)

// WithDiskQuotas caps, in bytes, the module store (the modules' own
// bytes), the run folders together, and the compilation cache folder.
func (c Config) WithDiskQuotas(modules, runs, cache int64) Config {
	c.moduleQuota, c.runQuota, c.cacheQuota = modules, runs, cache
	return c
}

// WithFreeReserve sets the free space the server leaves on its disk: below
// it, uploads and new runs get 507 and running runs stop.
func (c Config) WithFreeReserve(bytes int64) Config { c.reserve = bytes; return c }

// WithFreeSpace replaces how free space is measured (statfs by default):
// tests use it to play a full disk.
func (c Config) WithFreeSpace(fn FreeSpaceFunc) Config { c.freeSpace = fn; return c }

// WithRunRetention sets how long a finished run is kept; older ones, and
// the oldest finished ones while the run folders pass their quota, are
// forgotten and their folders removed.
func (c Config) WithRunRetention(maxAge time.Duration) Config { c.runMaxAge = maxAge; return c }

func (c Config) validateDisk() error {
	if c.moduleQuota <= 0 || c.runQuota <= 0 || c.cacheQuota <= 0 || c.reserve < 0 || c.runMaxAge <= 0 {
		return fmt.Errorf("playground: disk quotas (modules %d, runs %d, cache %d) and run retention %v must be positive, the free reserve %d not negative",
			c.moduleQuota, c.runQuota, c.cacheQuota, c.runMaxAge, c.reserve)
	}
	return nil
}

// disk tracks what the server has on its disk.
type disk struct {
	free FreeSpaceFunc

	mu sync.Mutex
	// pending is the bytes of module uploads between their quota check and
	// their write.
	pending int64
	// runBytes is the run folders' size when last measured, at measured.
	runBytes int64
	measured time.Time
}

// insufficient is the 507 answer.
func insufficient(format string, args ...any) *APIError {
	return apiErr(http.StatusInsufficientStorage, "insufficient_storage", format, args...)
}

// checkFree answers 507 when writing need bytes under path would leave
// less than the reserve free. A file system that cannot say is trusted.
func (s *Server) checkFree(path string, need int64) error {
	free, err := s.disk.free(path)
	if err != nil {
		s.logf("playground: free space of %s: %v", path, err)
		return nil
	}
	if int64(min(free, 1<<62))-need < s.cfg.reserve {
		return insufficient("the server's disk has %d bytes free, and keeps %d in reserve: it cannot write %d more bytes now", free, s.cfg.reserve, need)
	}
	return nil
}

// reserveModule checks an upload of n bytes against the module quota and
// the free space, and holds its place until release.
func (s *Server) reserveModule(n int64) (release func(), err error) {
	if s.readOnly {
		return nil, insufficient("the server started on a full disk and keeps its module store read-only; free space and restart it")
	}
	d := s.disk
	d.mu.Lock()
	defer d.mu.Unlock()
	used := s.store.Used()
	if used+d.pending+n > s.cfg.moduleQuota {
		return nil, insufficient("the module store holds %d bytes of its %d byte quota: a module of %d bytes does not fit; delete modules you no longer need", used+d.pending, s.cfg.moduleQuota, n)
	}
	if s.cfg.dataDir != "" {
		// Badger writes the value and its log entry; leave room for both.
		if err := s.checkFree(s.cfg.dataDir, 2*n+(1<<20)); err != nil {
			return nil, err
		}
	}
	d.pending += n
	return func() {
		d.mu.Lock()
		d.pending -= n
		d.mu.Unlock()
	}, nil
}

// checkRunSpace makes room for a new run (by retention) and answers 507 if
// the run folders are still over their quota or the disk is short.
func (s *Server) checkRunSpace() error {
	if s.readOnly {
		return insufficient("the server started on a full disk and takes no new runs; free space and restart it")
	}
	used := s.retain()
	if used >= s.cfg.runQuota {
		return insufficient("the run folders use %d bytes of their %d byte quota, all of it by runs still going; delete a run", used, s.cfg.runQuota)
	}
	return s.checkFree(s.runDir, runHeadroom)
}

// runDiskError says why a running run must stop for disk space: the run
// folders past their quota, or the disk past its reserve. It is checked
// between slices of a run, so a run passes the quota by at most one slice
// (and the trace writer's buffer) before it stops.
func (s *Server) runDiskError(*run) error {
	if used := s.runFolderBytes(true); used > s.cfg.runQuota {
		return fmt.Errorf("%w: the run folders use %d bytes, over their quota of %d", ErrInsufficientStorage, used, s.cfg.runQuota)
	}
	if err := s.checkFree(s.runDir, 0); err != nil {
		return fmt.Errorf("%w: %s", ErrInsufficientStorage, err.(*APIError).Message)
	}
	return nil
}

// runFolderBytes measures the run folders (at most once a second unless
// fresh is set).
func (s *Server) runFolderBytes(fresh bool) int64 {
	d := s.disk
	d.mu.Lock()
	defer d.mu.Unlock()
	if !fresh && time.Since(d.measured) < time.Second {
		return d.runBytes
	}
	var total int64
	for _, f := range s.runFolders() {
		total += f.size
	}
	d.runBytes, d.measured = total, time.Now()
	return total
}

type runFolder struct {
	id    string
	size  int64
	mtime time.Time
}

// runFolders lists the folders under runDir with their sizes and the time
// of their newest file.
func (s *Server) runFolders() []runFolder {
	ents, err := os.ReadDir(s.runDir)
	if err != nil {
		return nil
	}
	var out []runFolder
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		f := runFolder{id: e.Name()}
		if info, err := e.Info(); err == nil {
			f.mtime = info.ModTime() // a folder without files: its own time
		}
		files := 0
		_ = filepath.WalkDir(filepath.Join(s.runDir, e.Name()), func(_ string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
				f.size += info.Size()
				if files == 0 || info.ModTime().After(f.mtime) {
					f.mtime = info.ModTime()
				}
				files++
			}
			return nil
		})
		out = append(out, f)
	}
	return out
}

// retain applies the run retention policy: finished runs older than the
// maximum age are forgotten, and while the run folders pass their quota
// the oldest finished ones too (folders left by an earlier server count as
// finished). It returns the bytes the run folders then use.
func (s *Server) retain() int64 {
	if s.inWorker {
		return s.runFolderBytes(true)
	}
	s.retainMu.Lock()
	defer s.retainMu.Unlock()
	folders := s.runFolders()
	sort.Slice(folders, func(i, j int) bool { return folders[i].mtime.Before(folders[j].mtime) })
	var total int64
	for _, f := range folders {
		total += f.size
	}
	now := time.Now()
	for _, f := range folders {
		known, finished := s.runState(f.id)
		if known && !finished {
			continue // a run still going is never removed
		}
		if !known && !f.mtime.Before(s.started) {
			continue // a run being created, not yet listed
		}
		if total <= s.cfg.runQuota && now.Sub(f.mtime) <= s.cfg.runMaxAge {
			continue
		}
		if known {
			if s.forgetRun(f.id) != nil {
				continue
			}
		} else if os.RemoveAll(filepath.Join(s.runDir, f.id)) != nil {
			continue
		}
		s.logf("playground: retention removed run %s (%d bytes, last written %s)", f.id, f.size, f.mtime.Format(time.RFC3339))
		total -= f.size
	}
	s.disk.mu.Lock()
	s.disk.runBytes, s.disk.measured = total, time.Now()
	s.disk.mu.Unlock()
	s.trimCache()
	return total
}

// trimCache removes the oldest files of the compilation cache while it
// passes its quota (a removed entry is compiled again when needed).
func (s *Server) trimCache() {
	if s.cacheDir == "" {
		return
	}
	type file struct {
		path  string
		size  int64
		mtime time.Time
	}
	var files []file
	var total int64
	_ = filepath.WalkDir(s.cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if strings.HasSuffix(p, ".tmp") {
			// An entry being written (wazero's filecache writes NAME.*.tmp
			// and renames it): removing it would fail that compilation.
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			files = append(files, file{p, info.Size(), info.ModTime()})
			total += info.Size()
		}
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].mtime.Before(files[j].mtime) })
	for _, f := range files {
		if total <= s.cfg.cacheQuota {
			return
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}

// openStore opens the module store. On a disk already past its reserve,
// or one where a writable open fails, it opens read-only (uploads then get
// 507) rather than not starting.
func (s *Server) openStore(dir string) (*Store, error) {
	if dir == "" {
		return OpenStore("")
	}
	full := s.checkFree(filepath.Dir(dir), 0) != nil
	if !full {
		st, err := OpenStore(dir)
		if err == nil {
			return st, nil
		}
		s.logf("playground: %v; opening the module store read-only", err)
	}
	s.readOnly = true
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); errors.Is(err, os.ErrNotExist) {
		// Nothing stored yet: an empty store in memory (Badger's in-memory
		// mode: no folder to make on the full disk) that takes no writes.
		st, err := openStore("", false)
		if err != nil {
			return nil, err
		}
		st.readOnly = true
		return st, nil
	}
	return openStore(dir, true)
}

// runState says whether the server knows run id, and whether that run has
// finished (its worker's run, when runs execute in workers).
func (s *Server) runState(id string) (known, finished bool) {
	if s.pool != nil {
		w, err := s.pool.get(id)
		if err != nil {
			return false, false
		}
		return true, w.status().State == stateFinished
	}
	r, err := s.runs.get(id)
	if err != nil {
		return false, false
	}
	return true, r.finished()
}

// forgetRun removes a run the server knows, and its folder.
func (s *Server) forgetRun(id string) error {
	if s.pool != nil {
		return s.pool.remove(id)
	}
	return s.runs.remove(id)
}
