package gobuild

import (
	"fmt"
	"regexp"
	"strings"
)

// Known is a build failure that programs written for Maelstrom commonly
// hit on GOOS=wasip1, with its fix. The list is in docs/ABI.md, "Known
// build failures".
type Known struct {
	// Name says what fails, e.g. "logrus terminal check".
	Name string
	// Fix is what to do about it, as a user would type it.
	Fix string
	// match finds the failure in go build's output; its first group, if
	// any, is quoted in the hint.
	match *regexp.Regexp
}

// knownFailures are matched against go build's output, in order.
var knownFailures = []Known{
	{
		Name: "logrus (up to 1.9) has no terminal check for wasip1",
		Fix: "build with the appengine tag, which gives logrus a terminal check that needs no system call: " +
			"terrarium build -tags appengine DIR (or a scenario module's tags: [appengine]); upgrading logrus past 1.9 also fixes it",
		match: regexp.MustCompile(`terminal_check_notappengine\.go:\d+:\d+: undefined: isTerminal`),
	},
	{
		Name: "golang.org/x/sys/unix does not build for wasip1",
		Fix: "a dependency uses golang.org/x/sys/unix (usually for a terminal check or a signal): " +
			"upgrade it to a version that builds for wasip1, drop it, or look in its docs for a build tag that avoids it (go list -deps shows who imports it)",
		match: regexp.MustCompile(`build constraints exclude all Go files in \S*golang\.org/x/sys(@[^/\s]+)?/unix`),
	},
	{
		Name: "a syscall that wasip1 does not have",
		Fix: "wasip1 has no process groups, file locks or memory maps: remove the call to syscall.%s, or the dependency that makes it " +
			"(often an on-disk database: keep state in memory or in the node's store, Node.Store in the Go SDK)",
		match: regexp.MustCompile(`undefined: syscall\.(\w+)`),
	},
	{
		Name: "a package with no files for wasip1",
		Fix: "%s builds only for other systems or with cgo (Terrarium builds with CGO_ENABLED=0): " +
			"replace it with a pure-Go package, or see go list -deps for who imports it",
		match: regexp.MustCompile(`build constraints exclude all Go files in (\S+)`),
	},
}

// Diagnose returns the known failures found in go build's output, each
// with its fix (a %s in Fix filled with what the failure named).
func Diagnose(output string) []Known {
	var found []Known
	for _, k := range knownFailures {
		m := k.match.FindStringSubmatch(output)
		if m == nil {
			continue
		}
		if strings.Contains(k.Fix, "%s") && len(m) > 1 {
			k.Fix = fmt.Sprintf(k.Fix, m[1])
		}
		found = append(found, k)
		if strings.HasPrefix(k.Name, "golang.org/x/sys/unix") {
			break // the generic entry below would match the same line
		}
	}
	return found
}

// hints formats known failures for an error message.
func hints(found []Known) string {
	var b strings.Builder
	for _, k := range found {
		fmt.Fprintf(&b, "known wasip1 build failure: %s\n  fix: %s\n", k.Name, k.Fix)
	}
	return b.String()
}
