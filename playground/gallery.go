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
	"time"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/plugins/tour"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// Pattern is one entry of the patterns gallery.
type Pattern struct {
	Name     string `json:"name"`
	Title    string `json:"title"`
	Category string `json:"category"`
	Summary  string `json:"summary"`
	// Purpose, Advantages and Limitations are the README's sections of
	// those names, as Markdown.
	Purpose     string `json:"purpose,omitempty"`
	Advantages  string `json:"advantages,omitempty"`
	Limitations string `json:"limitations,omitempty"`
	// Tour is the plugin's guided tour (its tour.yaml), which the page
	// plays step by step (ui/tour.js).
	Tour *tour.Tour `json:"tour,omitempty"`
	// Files lists the scenario files (scenario.yaml passes, limit.yaml
	// shows the pattern's limitation, broken.yaml fails), by name.
	Files []string `json:"files"`
	// Dir is the plugin's folder, which a scenario's relative paths start from.
	Dir string `json:"-"`
}

// PatternDetail is a Pattern with its README and scenario files' text.
type PatternDetail struct {
	Pattern
	README   string            `json:"readme"`
	Sections []Section         `json:"sections"`
	Contents map[string]string `json:"contents"`
}

// Section is one "## " section of a README.
type Section struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

type gallery struct {
	dir      string
	patterns []PatternDetail
}

// findPlugins looks for the plugins folder from the working directory up.
func findPlugins() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "plugins")
		if _, err := os.Stat(filepath.Join(p, "patterns")); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func loadGallery(dir string) (*gallery, error) {
	if dir == "" {
		dir = findPlugins()
	}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("playground: plugins folder %s: %w", dir, err)
		}
		dir = abs
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("playground: plugins folder %s is not a folder", dir)
		}
	}
	g := &gallery{dir: dir}
	for _, p := range patterns.All() {
		d := PatternDetail{Pattern: Pattern{Name: p.Name, Title: p.Title, Category: p.Category, Summary: p.Summary, Files: []string{}},
			Contents: map[string]string{}, Sections: []Section{}}
		if dir != "" {
			d.Dir = filepath.Join(dir, p.Name)
			if b, err := os.ReadFile(filepath.Join(d.Dir, "README.md")); err == nil {
				d.README = string(b)
				d.Sections = sections(d.README)
			}
			t, err := tour.Load(d.Dir)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("playground: %s: %w", p.Name, err)
			}
			d.Tour = t
			ys, _ := filepath.Glob(filepath.Join(d.Dir, "*.yaml"))
			for _, y := range ys {
				if filepath.Base(y) == tour.FileName {
					continue
				}
				b, err := os.ReadFile(y)
				if err != nil {
					return nil, fmt.Errorf("playground: %w", err)
				}
				d.Files = append(d.Files, filepath.Base(y))
				d.Contents[filepath.Base(y)] = string(b)
			}
			sort.Slice(d.Files, func(i, j int) bool { return fileRank(d.Files[i]) < fileRank(d.Files[j]) })
		}
		for _, s := range d.Sections {
			t := strings.ToLower(s.Title)
			switch {
			case strings.HasPrefix(t, "what it is") || strings.HasPrefix(t, "what this plugin"):
				if d.Purpose == "" {
					d.Purpose = s.Text
				}
			case strings.HasPrefix(t, "advantages"):
				d.Advantages = s.Text
			case strings.HasPrefix(t, "limitations"):
				d.Limitations = s.Text
			}
		}
		if d.Purpose == "" && len(d.Sections) > 0 {
			d.Purpose = d.Sections[0].Text
		}
		g.patterns = append(g.patterns, d)
	}
	return g, nil
}

// fileRank orders scenario.yaml, limit.yaml, broken.yaml, then the rest.
func fileRank(name string) string {
	switch name {
	case "scenario.yaml":
		return "0"
	case "limit.yaml":
		return "1"
	case "broken.yaml":
		return "2"
	}
	return "3" + name
}

// sections splits Markdown at its "## " headings; the text before the
// first one (after the title) is a section named "".
func sections(md string) []Section {
	var out []Section
	cur := Section{}
	flush := func() {
		cur.Text = strings.TrimSpace(cur.Text)
		if cur.Title != "" || cur.Text != "" {
			out = append(out, cur)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(line, "# "):
			continue
		case strings.HasPrefix(line, "## "):
			flush()
			cur = Section{Title: strings.TrimSpace(line[3:])}
		default:
			cur.Text += line + "\n"
		}
	}
	flush()
	return out
}

func (g *gallery) get(name string) (*PatternDetail, error) {
	for i := range g.patterns {
		if g.patterns[i].Name == name {
			return &g.patterns[i], nil
		}
	}
	names := make([]string, len(g.patterns))
	for i, p := range g.patterns {
		names[i] = p.Name
	}
	return nil, apiErr(http.StatusNotFound, "not_found", "no pattern %q (known: %s)", name, strings.Join(names, ", "))
}

func (s *Server) listPatterns(c echo.Context) error {
	ps := make([]Pattern, len(s.gallery.patterns))
	for i, p := range s.gallery.patterns {
		ps[i] = p.Pattern
	}
	return c.JSON(http.StatusOK, map[string]any{"patterns": ps})
}

func (s *Server) getPattern(c echo.Context) error {
	p, err := s.gallery.get(c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) patternFile(c echo.Context) error {
	p, err := s.gallery.get(c.Param("name"))
	if err != nil {
		return err
	}
	f := c.Param("file")
	if f == "README.md" && p.README != "" {
		return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", []byte(p.README))
	}
	text, ok := p.Contents[f]
	if !ok {
		return apiErr(http.StatusNotFound, "not_found", "pattern %s has no file %q (files: README.md, %s)", p.Name, f, strings.Join(p.Files, ", "))
	}
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", []byte(text))
}

// preloadPatterns builds every pattern's module (through the shared loader,
// so runs find them built) and lists them in the module store as built-in.
func (s *Server) preloadPatterns() {
	defer s.preload.Done()
	for _, p := range s.gallery.patterns {
		if p.Dir == "" {
			continue
		}
		scn, err := runner.Load(filepath.Join(p.Dir, "scenario.yaml"), s.reg)
		if err != nil {
			s.logf("playground: preload %s: %v", p.Name, err)
			continue
		}
		for _, m := range scn.Modules {
			if s.stopCtx.Err() != nil {
				return
			}
			b, err := s.modules.Bytes(s.stopCtx, m)
			if s.stopCtx.Err() != nil {
				return
			}
			if err != nil {
				s.logf("playground: preload %s: %v", p.Name, err)
				continue
			}
			info, err := s.validateBytes(s.stopCtx, b, 0)
			if err != nil {
				s.logf("playground: preload %s: %v", p.Name, err)
				continue
			}
			if _, _, err := s.store.Put(b, ModuleMeta{Name: p.Name + " (built-in " + m.Name + ")", Uploaded: time.Now().UTC().Truncate(time.Millisecond),
				Exports: info.Exports, Imports: info.Imports, Builtin: true}); err != nil {
				s.logf("playground: preload %s: %v", p.Name, err)
			}
		}
	}
}
