// Package tidy holds tests of the code's shape rather than its behaviour,
// in the manner of TigerBeetle's tidy.zig: rules that are cheap to check
// and that ratchet, so that the code only gets tidier.
package tidy

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxFuncLines is the longest a function may be, its signature and closing
// brace counted.
const maxFuncLines = 80

const longFile = "testdata/long_functions.txt"

var rewrite = flag.Bool("rewrite", false, "shrink testdata/long_functions.txt to the functions still over the limit (it never adds or grows one)")

// root is the module's root, from this package's folder.
const root = "../.."

// TestFunctionLength fails on a function of more than maxFuncLines lines
// that long_functions.txt does not list, and on a listed one that grew.
// The list only shrinks: an entry whose function got shorter, or split
// under the limit, or went, fails until -rewrite updates the list.
func TestFunctionLength(t *testing.T) {
	funcs, total := functions(t)
	allowed := readAllowed(t)
	var long []string
	for _, f := range funcs {
		if f.lines > maxFuncLines {
			long = append(long, f.key)
		}
	}
	t.Logf("%d of %d functions are over %d lines (%.1f%%)", len(long), total, maxFuncLines, 100*float64(len(long))/float64(total))
	byKey := map[string]int{}
	for _, f := range funcs {
		byKey[f.key] = f.lines
	}
	for _, f := range funcs {
		n, listed := allowed[f.key]
		switch {
		case f.lines <= maxFuncLines:
		case !listed:
			t.Errorf("%s is %d lines, over %d: split it (if it only moved, go test ./internal/tidy -rewrite moves its entry)", f.key, f.lines, maxFuncLines)
		case f.lines > n:
			t.Errorf("%s grew from %d to %d lines; functions over %d lines may not grow: split it", f.key, n, f.lines, maxFuncLines)
		}
	}
	if *rewrite {
		writeAllowed(t, allowed, byKey)
		return
	}
	keys := make([]string, 0, len(allowed))
	for k := range allowed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n, ok := byKey[k]
		switch {
		case !ok:
			t.Errorf("%s is listed in %s but is gone: go test ./internal/tidy -rewrite", k, longFile)
		case n <= maxFuncLines:
			t.Errorf("%s is now %d lines, within the limit: go test ./internal/tidy -rewrite takes it off %s", k, n, longFile)
		case n < allowed[k]:
			t.Errorf("%s shrank from %d to %d lines: go test ./internal/tidy -rewrite lowers its entry", k, allowed[k], n)
		}
	}
}

// function is one function declaration: its key ("DIR NAME", NAME being
// Recv.Method for a method) and its length in lines.
type function struct {
	key   string
	lines int
}

// functions parses every Go file of the module that is not a test, test
// fixture or another module's, and returns its functions and their number.
func functions(t *testing.T) ([]function, int) {
	fset := token.NewFileSet()
	var out []function
	total := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return skipDir(path, d)
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			total++
			lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			out = append(out, function{key: filepath.ToSlash(rel) + " " + funcName(fd), lines: lines})
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, total, 1000, "the walk must find the module's code")
	return out, total
}

// skipDir skips what is not the module's production code: dependencies,
// test data and test guests, hidden folders and other modules.
func skipDir(path string, d fs.DirEntry) error {
	if path == root {
		return nil
	}
	switch name := d.Name(); {
	case name == "node_modules" || name == "testdata" || strings.HasPrefix(name, "."):
		return filepath.SkipDir
	case filepath.ToSlash(path) == root+"/internal/testguests":
		return filepath.SkipDir
	}
	if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
		return filepath.SkipDir
	}
	return nil
}

// funcName is a declaration's name, with its receiver's type for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	switch x := typ.(type) {
	case *ast.IndexExpr:
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// readAllowed reads the list of functions allowed over the limit: lines
// "DIR NAME LINES".
func readAllowed(t *testing.T) map[string]int {
	f, err := os.Open(longFile)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		require.Len(t, fields, 3, "%s: bad line %q: want DIR NAME LINES", longFile, line)
		n, err := strconv.Atoi(fields[2])
		require.NoError(t, err, "%s: bad line %q", longFile, line)
		k := fields[0] + " " + fields[1]
		assert.NotContains(t, out, k, "%s: %s is listed twice", longFile, k)
		out[k] = n
	}
	require.NoError(t, sc.Err())
	return out
}

// writeAllowed rewrites the list: each entry lowered to its function's
// length, and dropped when the function is gone or within the limit. An
// entry whose folder went follows its function to a new folder, if one
// function of that name there is no longer than the entry allows. Nothing
// is added or raised.
func writeAllowed(t *testing.T, allowed, now map[string]int) {
	next := map[string]int{}
	for k, n := range allowed {
		if m, ok := now[k]; ok && m > maxFuncLines {
			next[k] = min(n, m)
		}
	}
	for k, n := range allowed {
		if _, ok := now[k]; ok {
			continue
		}
		if moved := movedTo(k, n, allowed, now); moved != "" {
			next[moved] = now[moved]
		}
	}
	keys := make([]string, 0, len(next))
	for k := range next {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Functions over 80 lines, as they were when the limit came in: DIR NAME LINES.\n")
	b.WriteString("# Entries may only shrink or go (go test ./internal/tidy -rewrite); split a function rather than list it.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %d\n", k, next[k])
	}
	require.NoError(t, os.WriteFile(longFile, []byte(b.String()), 0o644))
}

// movedTo returns where the listed function k of at most n lines went: the
// one unlisted function over the limit with its name and at most n lines,
// or "".
func movedTo(k string, n int, allowed, now map[string]int) string {
	name := k[strings.LastIndex(k, " ")+1:]
	found := ""
	for c, m := range now {
		if _, listed := allowed[c]; listed || m <= maxFuncLines || m > n || !strings.HasSuffix(c, " "+name) {
			continue
		}
		if found != "" {
			return ""
		}
		found = c
	}
	return found
}
