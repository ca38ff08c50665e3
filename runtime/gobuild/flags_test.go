package gobuild_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/gobuild"
)

func TestCheckLDFlags(t *testing.T) {
	for _, ok := range []string{"", "-s -w", "-X main.version=1", "-X=main.v=1 -s", `-X 'main.greeting=hello world'`, "-X example.com/a/b.Name=x=y"} {
		assert.NoError(t, gobuild.CheckLDFlags(ok), ok)
	}
	for flags, want := range map[string]string{
		"-o /tmp/x -X main.v=1":         `ldflags: "-o" is not allowed: only -X importpath.name=value, -s and -w are`,
		"-importcfg /proc/self/environ": `ldflags: "-importcfg" is not allowed: only -X importpath.name=value, -s and -w are`,
		"-X main.v=1 -extld=/bin/sh":    `ldflags: "-extld=/bin/sh" is not allowed: only -X importpath.name=value, -s and -w are`,
		"-X /etc/passwd":                `ldflags: -X "/etc/passwd" is not importpath.name=value`,
		"-X=-o":                         `ldflags: "-X=-o" is not -X importpath.name=value`,
		"-X 'main.v=1":                  `ldflags: unterminated ' quote`,
	} {
		assert.EqualError(t, gobuild.CheckLDFlags(flags), want, flags)
	}
	assert.NoError(t, gobuild.CheckTags([]string{"fancy", "go1.21", "a_b"}))
	assert.EqualError(t, gobuild.CheckTags([]string{"ok", "x -o /tmp/y"}), `tags: "x -o /tmp/y" is not a build tag (letters, digits, '_' and '.')`)
}

// Reference: issue 15: "-o /any/path" in a scenario's ldflags made go build
// write a file anywhere. BuildWith refuses it before anything runs.
func TestBuildWithRefusesFileFlags(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/prog\n\ngo 1.21\n",
		"main.go": "package main\n\nvar v string\n\nfunc main() { println(v) }\n",
	})
	target := filepath.Join(t.TempDir(), "written")
	_, err := gobuild.BuildWith(context.Background(), dir, gobuild.Options{LDFlags: "-o " + target + " -X main.v=pwned"})
	require.EqualError(t, err, `gobuild: ldflags: "-o" is not allowed: only -X importpath.name=value, -s and -w are`)
	_, statErr := os.Stat(target)
	assert.True(t, os.IsNotExist(statErr), "nothing was written at %s", target)
}
