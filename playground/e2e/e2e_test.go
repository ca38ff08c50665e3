// Package e2e tests the playground in a real browser: headless Debian
// chromium driven by playwright-core (npm) through browser.mjs, against
// the terrarium binary's serve command.
package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

// ScreenshotDir is where the browser test leaves its screenshots
// (gitignored), relative to this package.
const ScreenshotDir = "screenshots"

func chromium(t *testing.T) string {
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("TERRARIUM_SKIP_BROWSER") != "" {
			t.Skip("TERRARIUM_SKIP_BROWSER is set and there is no chromium")
		}
		t.Fatalf("no chromium at %s: install Debian's chromium (.ci/run does), or set CHROMIUM", p)
	}
	return p
}

func buildTerrarium(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "terrarium")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/terrarium")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// serve starts `terrarium serve` on the data folder, with any extra flags,
// and returns it and its URL.
func serve(t *testing.T, bin, data string, flags ...string) (*exec.Cmd, string) {
	plugins, err := filepath.Abs("../../plugins")
	require.NoError(t, err)
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--plugins", plugins}, flags...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	i := strings.Index(line, "http://")
	require.GreaterOrEqual(t, i, 0, "serve said %q", line)
	return cmd, strings.Fields(line[i:])[0]
}

// browse runs a playwright-core script and returns what it wrote.
func browse(t *testing.T, chromiumPath string, args ...string) map[string]any {
	outJSON := filepath.Join(t.TempDir(), "out.json")
	cmd := exec.Command("node", append(args, outJSON)...)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromiumPath)
	log, runErr := cmd.CombinedOutput()
	t.Logf("%s", log)
	b, err := os.ReadFile(outJSON)
	require.NoError(t, err, "%s wrote no result", args[0])
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	require.Equal(t, true, out["ok"], "%s failed: %v", args[0], out["error"])
	require.NoError(t, runErr)
	return out
}

// shotsDir is where a browser test's screenshots go: $TERRARIUM_SHOTS, else
// screenshots/NAME (gitignored); it exists on return.
func shotsDir(t *testing.T, name string) string {
	shots := os.Getenv("TERRARIUM_SHOTS")
	if shots == "" {
		var err error
		shots, err = filepath.Abs(filepath.Join(ScreenshotDir, name))
		require.NoError(t, err)
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))
	t.Logf("screenshots in %s", shots)
	return shots
}

// pingerModule writes the pinger guest (lab2_test.go) as a Wasm file in a
// temporary folder and returns its path.
func pingerModule(t *testing.T) string {
	wasm, err := testguests.Wat2Wasm([]byte(pinger))
	require.NoError(t, err)
	mod := filepath.Join(t.TempDir(), "pinger.wasm")
	require.NoError(t, os.WriteFile(mod, wasm, 0o644))
	return mod
}

// readInputs reads every file the browser test depends on but Go does not
// see (the script, the UI the binary embeds), so that go test's cache
// reruns the test when one changes.
func readInputs(t *testing.T) {
	for _, root := range []string{"browser.mjs", "restart.mjs", "lab.mjs", "lab-restart.mjs", "security.mjs", "lab2.mjs", "tour.mjs", "search.mjs", "scale.mjs", "see.mjs", "../ui"} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(p)
			return err
		})
		require.NoError(t, err)
	}
}

func TestPlaygroundInChromium(t *testing.T) {
	readInputs(t)
	browser := chromium(t)
	bin := buildTerrarium(t)
	data := t.TempDir()
	server, url := serve(t, bin, data)

	shots, err := filepath.Abs(ScreenshotDir)
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(shots)) // only this run's pictures
	require.NoError(t, os.MkdirAll(shots, 0o755))
	t.Logf("screenshots in %s", shots)
	noexport, err := testguests.Wasm("noexport")
	require.NoError(t, err)
	bad := filepath.Join(t.TempDir(), "noexport.wasm")
	require.NoError(t, os.WriteFile(bad, noexport, 0o644))
	good := filepath.Join(t.TempDir(), "echo.wasm")
	echo, err := testguests.Wasm("echo")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(good, echo, 0o644))
	out := browse(t, browser, "browser.mjs", url, shots, bad, good)

	// The exported session replays with `terrarium run` to the digest the
	// page showed.
	dir := t.TempDir()
	scn := filepath.Join(dir, "exported.yaml")
	require.NoError(t, os.WriteFile(scn, []byte(out["yaml"].(string)), 0o644))
	res := filepath.Join(dir, "out")
	run := exec.Command(bin, "run", scn, "--out", res, "--quiet")
	rout, _ := run.CombinedOutput()
	t.Logf("terrarium run: %s", rout)
	var results struct {
		TraceSHA256 string `json:"trace_sha256"`
	}
	rb, err := os.ReadFile(filepath.Join(res, "results.json"))
	require.NoError(t, err, "%s", rout)
	require.NoError(t, json.Unmarshal(rb, &results))
	require.Equal(t, out["digest"], results.TraceSHA256, "the exported run replays to the digest the page showed")

	// The module uploaded in the page survives a hard restart of the
	// server and runs from the page again.
	require.NoError(t, server.Process.Signal(syscall.SIGKILL))
	_ = server.Wait()
	_, url = serve(t, bin, data)
	browse(t, browser, "restart.mjs", url, shots, out["sha"].(string))
}
