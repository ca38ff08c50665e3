package playground

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// recordFile is the file in a run's folder that lets a restarted server
// list the run again: its id, source, seed and saved state. It starts
// with a dot, so the run's file listing does not show it.
const recordFile = ".run.json"

// runRecord is what the server keeps of a run on disk: enough to serve a
// finished run from its folder after a restart, and to rebuild any run by
// replay.
type runRecord struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Forked  string    `json:"forked_from,omitempty"`
	Seed    uint64    `json:"seed"`
	Source  runSource `json:"source"`
	Saved   savedRun  `json:"saved"`
}

// idRE matches a run's id (newID).
var idRE = regexp.MustCompile(`^[0-9a-f]{12}$`)

// writeRecord writes rec into dir atomically (a temporary file renamed),
// unless dir is gone.
func writeRecord(dir string, rec runRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("playground: run record: %w", err)
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil // the run was deleted (its folder with it): nothing to keep
	}
	tmp, err := os.CreateTemp(dir, recordFile+".*")
	if err != nil {
		return fmt.Errorf("playground: run record: %w", err)
	}
	_, werr := tmp.Write(b)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("playground: run record: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, recordFile)); err != nil {
		return fmt.Errorf("playground: run record: %w", err)
	}
	return nil
}

// persist writes an in-process run's record (a run worker's server never
// does: its server keeps the records of the runs it hands out).
func (r *run) persist() {
	s := r.rs.s
	if s.inWorker {
		return
	}
	rec := runRecord{ID: r.id, Created: r.created, Forked: r.forkedFrom, Seed: r.cur.Timeline().Seed(), Source: r.src, Saved: r.save()}
	if err := writeRecord(r.dir, rec); err != nil {
		s.logf("playground: run %s: %v", r.id, err)
	}
}

// persist writes a worker run's record from its last saved state.
func (p *pool) persist(w *wrun) {
	w.mu.Lock()
	rec := runRecord{ID: w.id, Created: w.created, Forked: w.forked, Seed: w.seed, Source: w.src, Saved: w.saved}
	removed := w.removed
	w.mu.Unlock()
	if removed {
		return
	}
	if err := writeRecord(w.dir, rec); err != nil {
		p.s.logf("playground: run %s: %v", w.id, err)
	}
}

// readRecords reads the records of the run folders under dir, oldest
// first; a folder without one (or with one that does not parse) is
// skipped.
func readRecords(dir string) []runRecord {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []runRecord
	for _, e := range ents {
		if !e.IsDir() || !idRE.MatchString(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), recordFile))
		if err != nil {
			continue
		}
		var rec runRecord
		if json.Unmarshal(b, &rec) != nil || rec.ID != e.Name() {
			continue
		}
		out = append(out, rec)
	}
	slices.SortStableFunc(out, func(a, b runRecord) int { return a.Created.Compare(b.Created) })
	return out
}

// restoreRuns lists again the runs a previous server left records of: a
// finished run is served from its folder, any other is rebuilt by replay
// (paused) when first needed.
func (s *Server) restoreRuns() {
	for _, rec := range readRecords(s.runDir) {
		scn, err := s.parseSource(rec.Source)
		if err != nil {
			s.logf("playground: run %s not restored: %v", rec.ID, err)
			continue
		}
		if s.pool != nil {
			w := &wrun{id: rec.ID, dir: filepath.Join(s.runDir, rec.ID), src: rec.Source, scn: scn, seed: rec.Seed,
				forked: rec.Forked, created: rec.Created, saved: rec.Saved}
			w.local = s.restoredRun(rec.ID, scn, rec.Seed, rec.Forked, rec.Created, rec.Saved)
			w.local.src = rec.Source
			if rec.Saved.State == stateFinished {
				s.runs.mu.Lock()
				s.runs.byID[w.id] = w.local
				s.runs.mu.Unlock()
			}
			s.pool.mu.Lock()
			s.pool.byID[w.id] = w
			s.pool.order = append(s.pool.order, w.id)
			s.pool.mu.Unlock()
			continue
		}
		r := s.restoredRun(rec.ID, scn, rec.Seed, rec.Forked, rec.Created, rec.Saved)
		r.src = rec.Source
		s.runs.mu.Lock()
		s.runs.byID[r.id] = r
		s.runs.order = append(s.runs.order, r.id)
		s.runs.mu.Unlock()
		go r.drive()
	}
}

// Source is the scenario text a run was made from, for the editor.
type Source struct {
	// Name is the scenario's file name (PATTERN/FILE for a pattern's).
	Name string `json:"name"`
	Text string `json:"text"`
	// Pattern and File are set when the run's module paths resolve
	// against a pattern's folder.
	Pattern string `json:"pattern,omitempty"`
	File    string `json:"file,omitempty"`
}

func (src runSource) api() Source {
	out := Source{Name: src.Name, Text: src.Text}
	if src.Base != "" {
		out.Pattern = filepath.Base(src.Base)
		_, out.File, _ = strings.Cut(src.Name, "/")
	}
	return out
}

func (s *Server) runSource(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.src.api())
}
