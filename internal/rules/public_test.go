package rules

import (
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// public are the packages an embedder programs against: no exported name
// in them may mention a type that only the module itself can build.
var public = []string{
	"runtime/runner",
	"runtime/sim",
	"runtime/fault",
	"runtime/check",
}

// exportData maps each package that pkgs depend on (pkgs included) to its
// compiled export data, which `go list -export` builds or finds in the
// build cache.
func exportData(t *testing.T, pkgs []string) map[string]string {
	t.Helper()
	args := []string{"list", "-export", "-deps", "-f", "{{.ImportPath}} {{.Export}}"}
	for _, p := range pkgs {
		args = append(args, module+p)
	}
	out, err := exec.Command("go", args...).Output()
	require.NoError(t, err, "go list -export")
	files := map[string]string{}
	for line := range strings.Lines(string(out)) {
		if path, file, ok := strings.Cut(strings.TrimSpace(line), " "); ok && file != "" {
			files[path] = file
		}
	}
	return files
}

// internalTypes finds the types from a package below an internal/ folder
// that a type mentions; seen stops the walk at named types met before.
type internalTypes struct {
	seen  map[types.Type]bool
	found map[string]bool
}

func isInternal(path string) bool {
	return strings.Contains(path, "/internal/") || strings.HasPrefix(path, "internal/")
}

func (w *internalTypes) walk(t types.Type) {
	if t == nil || w.seen[t] {
		return
	}
	w.seen[t] = true
	switch t := t.(type) {
	case *types.Alias:
		w.named(t.Obj())
		w.walk(types.Unalias(t))
	case *types.Named:
		w.named(t.Obj())
		if args := t.TypeArgs(); args != nil {
			for i := range args.Len() {
				w.walk(args.At(i))
			}
		}
	case *types.Pointer:
		w.walk(t.Elem())
	case *types.Slice:
		w.walk(t.Elem())
	case *types.Array:
		w.walk(t.Elem())
	case *types.Chan:
		w.walk(t.Elem())
	case *types.Map:
		w.walk(t.Key())
		w.walk(t.Elem())
	case *types.Signature:
		w.tuple(t.Params())
		w.tuple(t.Results())
	case *types.Struct:
		for i := range t.NumFields() {
			if f := t.Field(i); f.Exported() || f.Embedded() {
				w.walk(f.Type())
			}
		}
	case *types.Interface:
		for i := range t.NumMethods() {
			if m := t.Method(i); m.Exported() {
				w.walk(m.Type())
			}
		}
		for i := range t.NumEmbeddeds() {
			w.walk(t.EmbeddedType(i))
		}
	case *types.TypeParam:
		w.walk(t.Constraint())
	case *types.Union:
		for i := range t.Len() {
			w.walk(t.Term(i).Type())
		}
	}
}

func (w *internalTypes) named(obj *types.TypeName) {
	if obj.Pkg() != nil && isInternal(obj.Pkg().Path()) {
		w.found[obj.Pkg().Path()+"."+obj.Name()] = true
	}
}

func (w *internalTypes) tuple(t *types.Tuple) {
	for i := range t.Len() {
		w.walk(t.At(i).Type())
	}
}

// leaks lists, for each exported name of pkg (a function, a variable or
// constant, a type with its exported fields and methods), the internal
// types it mentions.
func leaks(pkg *types.Package) []string {
	var out []string
	check := func(what string, t types.Type) {
		w := &internalTypes{seen: map[types.Type]bool{}, found: map[string]bool{}}
		w.walk(t)
		for name := range w.found {
			out = append(out, fmt.Sprintf("%s mentions %s", what, name))
		}
	}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		what := pkg.Name() + "." + name
		tn, ok := obj.(*types.TypeName)
		if !ok {
			check(what, obj.Type())
			continue
		}
		if tn.IsAlias() {
			check(what, obj.Type())
		} else {
			check(what, obj.Type().Underlying())
		}
		if named, ok := types.Unalias(obj.Type()).(*types.Named); ok {
			for i := range named.NumMethods() {
				if m := named.Method(i); m.Exported() {
					check(what+"."+m.Name(), m.Type())
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Reference: issue 17, "sim's signatures use only public types": an
// embedder can call, and build the arguments of, every exported function
// and method of the public packages, so none names a type from an internal
// package (which code outside the module cannot import).
func TestPublicSignaturesUsePublicTypes(t *testing.T) {
	files := exportData(t, public)
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := files[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
	for _, p := range public {
		t.Run(p, func(t *testing.T) {
			pkg, err := imp.Import(module + p)
			require.NoError(t, err)
			assert.Empty(t, leaks(pkg), "exported names of %s mention internal types", p)
		})
	}
}
