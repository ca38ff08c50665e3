package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
)

// Every pattern plugin's scenario passes and its broken variant fails,
// through the CLI exactly as a user runs them.
func TestPatternScenariosPassAndBrokenVariantsFail(t *testing.T) {
	all := patterns.All()
	assert.NotEmpty(t, all)
	for _, p := range all {
		t.Run(p.Name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "plugins", p.Name)
			code, out, errs := cli(t, "run", filepath.Join(dir, "scenario.yaml"), "--quiet")
			assert.Equal(t, 0, code, "%s\n%s", out, errs)
			assert.True(t, strings.HasPrefix(lastLine(out), "PASS "), lastLine(out))
			code, out, errs = cli(t, "run", filepath.Join(dir, "broken.yaml"), "--quiet")
			assert.Equal(t, 1, code, "%s\n%s", out, errs)
			assert.True(t, strings.HasPrefix(lastLine(out), "FAIL "), lastLine(out))
			assert.Contains(t, lastLine(out), "verdict=invalid")
		})
	}
}

func TestPatternsListsTheCatalogue(t *testing.T) {
	code, out, _ := cli(t, "patterns")
	assert.Equal(t, 0, code)
	for _, p := range patterns.All() {
		assert.Contains(t, out, p.Title+" ("+p.Name+")")
		assert.Contains(t, out, p.Category)
	}
	code, _, errs := cli(t, "patterns", "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "takes no arguments")
}
