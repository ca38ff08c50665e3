package playground

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// positionFile is the file of an exported bundle that says where the run
// stood (BundlePosition), beside ID/scenario.yaml.
const positionFile = "position.json"

// BundlePosition is where a run stood when it was exported: the trace's
// length (its event index) and virtual time. A bundle or a link opens the
// run there.
type BundlePosition struct {
	Seq   uint64 `json:"seq"`
	NowNS int64  `json:"now_ns"`
}

// Imported is POST /bundles: the bundle's scenario with every module named
// by its digest (sha256:, the modules now in this server's store), and the
// position it was exported at.
type Imported struct {
	Name     string         `json:"name"`
	Scenario string         `json:"scenario"`
	Position BundlePosition `json:"position"`
	Modules  []string       `json:"modules"`
}

// moduleSHA is the digest of a scenario module's bytes: its own sha256:,
// else that of the bytes its go: or wasm: gives.
func (s *Server) moduleSHA(ctx context.Context, m *scenario.Module) (string, error) {
	if m.SHA256 != "" {
		return m.SHA256, nil
	}
	b, err := s.modules.Bytes(ctx, m)
	if err != nil {
		return "", fmt.Errorf("playground: module %s: %w", m.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// exportShare writes the run's export with every module named by its
// digest: the text a permanent link carries. A module the store lacks (a
// built-in one the server has not preloaded) is put there first, so that
// the link opens on this server after a restart too.
func (s *Server) exportShare(c echo.Context, scn *scenario.Scenario) error {
	ctx := c.Request().Context()
	cp := *scn
	cp.Modules = nil
	for _, m := range scn.Modules {
		sha, err := s.moduleSHA(ctx, m)
		if err != nil {
			return err
		}
		if err := s.keepModule(ctx, m, sha); err != nil {
			return err
		}
		mc := *m
		mc.Go, mc.Wasm, mc.SHA256 = "", "", sha
		cp.Modules = append(cp.Modules, &mc)
	}
	y, err := scenario.Encode(&cp, "")
	if err != nil {
		return fmt.Errorf("playground: export: %w", err)
	}
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", y)
}

// keepModule puts module m, of digest sha, in the store unless it is
// there already (or the server has no store: a worker's server).
func (s *Server) keepModule(ctx context.Context, m *scenario.Module, sha string) error {
	if s.store == nil {
		return nil
	}
	if _, err := s.store.Meta(sha); err == nil {
		return nil
	}
	b, err := s.modules.Bytes(ctx, m)
	if err != nil {
		return fmt.Errorf("playground: module %s: %w", m.Name, err)
	}
	info, err := s.validateBytes(ctx, b, 0)
	if err != nil {
		return fmt.Errorf("playground: module %s: %w", m.Name, err)
	}
	if _, _, err := s.store.Put(b, ModuleMeta{Name: m.Name + " (built-in)", Uploaded: time.Now().UTC().Truncate(time.Millisecond),
		Exports: info.Exports, Imports: info.Imports, Builtin: m.SHA256 == ""}); err != nil {
		return storeErr(fmt.Errorf("playground: keep module %s: %w", m.Name, err))
	}
	return nil
}

// bundleModuleRE matches a module file of a bundle: ID/modules/SHA.wasm.
var bundleModuleRE = regexp.MustCompile(`^([^/]+)/modules/([0-9a-f]{64})\.wasm$`)

// bundledRefRE matches a scenario's reference to a module file of its
// bundle (exportBundle writes them under /bundle/ID/modules/, and the
// encoder may write them relative to the scenario's folder).
var bundledRefRE = regexp.MustCompile(`wasm:\s*"?(?:/bundle/[^/\s"]+/)?modules/([0-9a-f]{64})\.wasm"?`)

// bundle is an exported zip, read.
type bundle struct {
	id       string
	scenario []byte
	position BundlePosition
	modules  map[string][]byte // by digest
}

// readBundle reads a zip written by GET /runs/{id}/export?format=zip,
// checking that each module is the one its name says.
func (s *Server) readBundle(b []byte) (*bundle, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, "malformed", "bundle: not a zip: %v", err)
	}
	bd := &bundle{modules: map[string][]byte{}}
	for _, f := range zr.File {
		id, _, _ := strings.Cut(f.Name, "/")
		if bd.id == "" {
			bd.id = id
		}
		if id != bd.id || strings.Contains(f.Name, "..") {
			return nil, apiErr(http.StatusBadRequest, "malformed", "bundle: %q is outside its folder %s/", f.Name, bd.id)
		}
		data, err := readZipFile(f, int64(s.cfg.maxModule))
		if err != nil {
			return nil, err
		}
		switch m := bundleModuleRE.FindStringSubmatch(f.Name); {
		case f.Name == path.Join(id, "scenario.yaml"):
			bd.scenario = data
		case f.Name == path.Join(id, positionFile):
			if err := json.Unmarshal(data, &bd.position); err != nil {
				return nil, apiErr(http.StatusBadRequest, "malformed", "bundle: %s: %v", f.Name, err)
			}
		case m != nil:
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != m[2] {
				return nil, apiErr(http.StatusBadRequest, "malformed", "bundle: %s is not the module its name says (its sha256 is %x)", f.Name, sum)
			}
			bd.modules[m[2]] = data
		}
	}
	if bd.scenario == nil {
		return nil, apiErr(http.StatusBadRequest, "malformed", "bundle: no ID/scenario.yaml (export one with GET /runs/{id}/export?format=zip)")
	}
	return bd, nil
}

// readZipFile reads one file of a bundle, at most max bytes.
func readZipFile(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, "malformed", "bundle: %s: %v", f.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, "malformed", "bundle: %s: %v", f.Name, err)
	}
	if int64(len(data)) > max {
		return nil, apiErr(http.StatusRequestEntityTooLarge, "too_large", "bundle: %s is over the module limit of %d bytes", f.Name, max)
	}
	return data, nil
}

// importBundle takes a zip exported by this or another server: it stores
// its modules (validated as uploads are) and answers its scenario with
// the modules named by digest, and the position it was exported at. It
// starts no run: the page starts one from the answer and seeks there.
func (s *Server) importBundle(c echo.Context) error {
	body, err := readBody(c, s.bundleLimit(), "bundle")
	if err != nil {
		return err
	}
	bd, err := s.readBundle(body)
	if err != nil {
		return err
	}
	text := string(bd.scenario)
	out := Imported{Position: bd.position, Modules: []string{}}
	var missing string
	text = bundledRefRE.ReplaceAllStringFunc(text, func(ref string) string {
		sha := bundledRefRE.FindStringSubmatch(ref)[1]
		if bd.modules[sha] == nil {
			missing = sha
		} else if !slices.Contains(out.Modules, sha) {
			out.Modules = append(out.Modules, sha)
		}
		return "sha256: " + sha
	})
	if missing != "" {
		return apiErr(http.StatusBadRequest, "malformed", "bundle: its scenario names module %s, which the bundle does not hold", missing)
	}
	for _, sha := range out.Modules {
		if err := s.storeBundled(c, bd.id, sha, bd.modules[sha]); err != nil {
			return err
		}
	}
	out.Scenario, out.Name = text, scenarioNameOf(text)
	return c.JSON(http.StatusOK, out)
}

// storeBundled validates a bundle's module and puts it in the store.
func (s *Server) storeBundled(c echo.Context, id, sha string, wasm []byte) error {
	if _, err := s.store.Meta(sha); err == nil {
		return nil
	}
	info, err := s.validate(c, wasm)
	if err != nil {
		return err
	}
	release, err := s.reserveModule(int64(len(wasm)))
	if err != nil {
		return err
	}
	defer release()
	if _, _, err := s.store.Put(wasm, ModuleMeta{Name: moduleName("bundle " + id), Uploaded: time.Now().UTC().Truncate(time.Millisecond),
		Exports: info.Exports, Imports: info.Imports}); err != nil {
		return storeErr(fmt.Errorf("playground: import module %s: %w", sha, err))
	}
	return nil
}

// bundleLimit caps an imported bundle: a scenario and a few modules.
func (s *Server) bundleLimit() int64 { return 8*int64(s.cfg.maxModule) + s.cfg.maxBody }

// scenarioNameOf is a scenario text's top-level name:, "" without one.
func scenarioNameOf(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, "name:"); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// writePosition adds the bundle's ID/position.json.
func writePosition(zw *zip.Writer, id string, pos BundlePosition) error {
	b, err := json.Marshal(pos)
	if err != nil {
		return fmt.Errorf("playground: bundle position: %w", err)
	}
	w, err := zw.Create(path.Join(id, positionFile))
	if err != nil {
		return fmt.Errorf("playground: bundle position: %w", err)
	}
	_, err = w.Write(b)
	return err
}
