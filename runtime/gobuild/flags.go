package gobuild

import (
	"fmt"
	"regexp"
	"strings"
)

// xDefRE is the argument of -X: importpath.name=value.
var xDefRE = regexp.MustCompile(`^[A-Za-z0-9_.~/-]+\.[A-Za-z_][A-Za-z0-9_]*=`)

// tagRE is one build tag (go help buildconstraint: letters, digits, _ and .).
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)

// CheckLDFlags accepts only linker flags that set a string variable or drop
// symbols: -X importpath.name=value, -s and -w. Anything else the linker
// takes (-o, -importcfg, -extld, -linkmode, ...) could write or read files
// on the building machine, so it is refused, naming the field "ldflags".
// Values may be quoted with ' or " as go build splits them
// (cmd/internal/quoted.Split).
func CheckLDFlags(ldflags string) error {
	args, err := splitQuoted(ldflags)
	if err != nil {
		return fmt.Errorf("ldflags: %w", err)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-s" || a == "-w" || a == "-s=true" || a == "-w=true":
		case a == "-X" || a == "--X":
			if i+1 >= len(args) {
				return fmt.Errorf("ldflags: %s needs importpath.name=value", a)
			}
			i++
			if !xDefRE.MatchString(args[i]) {
				return fmt.Errorf("ldflags: %s %q is not importpath.name=value", a, args[i])
			}
		case strings.HasPrefix(a, "-X=") || strings.HasPrefix(a, "--X="):
			if def := a[strings.Index(a, "=")+1:]; !xDefRE.MatchString(def) {
				return fmt.Errorf("ldflags: %q is not -X importpath.name=value", a)
			}
		default:
			return fmt.Errorf("ldflags: %q is not allowed: only -X importpath.name=value, -s and -w are", a)
		}
	}
	return nil
}

// CheckTags accepts build tags made of letters, digits, '_' and '.'.
func CheckTags(tags []string) error {
	for _, t := range tags {
		if !tagRE.MatchString(t) {
			return fmt.Errorf("tags: %q is not a build tag (letters, digits, '_' and '.')", t)
		}
	}
	return nil
}

// splitQuoted splits s at spaces, keeping what ' or " quote together, the
// way the go command splits -ldflags.
func splitQuoted(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}
