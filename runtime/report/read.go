package report

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// ErrNotRunFolder marks a folder that is not a readable run folder: a
// required file is missing or cannot be parsed. The error's text names the
// file.
var ErrNotRunFolder = errors.New("not a run folder")

// Files a run folder holds (read) and the files Write adds to it.
const (
	ResultsFile  = "results.json"
	TraceFile    = "trace.jsonl"
	HistoryFile  = "history.jsonl"
	LamportFile  = "lamport.html"
	StatsFile    = "stats.json"
	TimelineFile = "timeline.json"
	ShiVizFile   = "shiviz.log"
)

// DataCap is the largest event payload lamport.html embeds whole.
const DataCap = 8 << 10

// Result is the outcome of a run and the content of results.json: the one
// declaration of that file's shape (runner.Result is this type).
type Result struct {
	Scenario    string        `json:"scenario"`
	Name        string        `json:"name"`
	Seed        uint64        `json:"seed"`
	Valid       bool          `json:"valid"`
	Verdict     check.Verdict `json:"verdict"`
	TraceSHA256 string        `json:"trace_sha256"`
	// Reason says why a run that did not finish has verdict unknown: it
	// was interrupted, or it reached a run-wide cap.
	Reason string `json:"reason,omitempty"`
	// Reproducible is false if the wall-clock watchdog fired.
	Reproducible bool                    `json:"reproducible"`
	Checks       map[string]check.Result `json:"checks"`
	Stats        sim.Stats               `json:"stats"`
	Crashes      []Crash                 `json:"crashes,omitempty"`
	// Findings lists what the checks saw beyond the reference they follow
	// (see check.Finding), check by check in the scenario's order. They
	// fail the run only when Strict is set.
	Findings []Finding `json:"findings,omitempty"`
	// Strict is true when the scenario asked for findings to fail the run
	// (strict: true, terrarium test --strict).
	Strict bool `json:"strict,omitempty"`
	// ReportNotes says which files of the run folder were cut at their
	// bound (FileBound) or not written, and why.
	ReportNotes []string `json:"report_notes,omitempty"`
	// Injected lists the faults the nemeses injected, as timed faults.
	Injected []scenario.Fault `json:"-"`
	// Manual lists the faults applied by hand, pinned to where they
	// happened (see runner.Run.Apply).
	Manual []scenario.Fault `json:"-"`
	// Nodes and Clients name every endpoint by index, as the trace uses them.
	Nodes   []string `json:"nodes"`
	Clients []string `json:"clients"`
}

// Finding is one check's finding, as results.json lists it:
// {"check", "name", "summary", "details"}.
type Finding struct {
	Check string `json:"check"`
	check.Finding
}

// Crash records a node that ended the run crashed.
type Crash struct {
	Node   string `json:"node"`
	Reason string `json:"reason"`
}

// results is the name the report's code uses for Result.
type results = Result

// checkRunFolder returns an ErrNotRunFolder error naming the first missing
// required file.
func checkRunFolder(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("report: %w: %s: %v", ErrNotRunFolder, dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("report: %w: %s is not a directory", ErrNotRunFolder, dir)
	}
	for _, f := range []string{ResultsFile, TraceFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return fmt.Errorf("report: %w: %s has no %s", ErrNotRunFolder, dir, f)
		}
	}
	return nil
}

func readResults(dir string) (*results, error) {
	p := filepath.Join(dir, ResultsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("report: %w: %v", ErrNotRunFolder, err)
	}
	r := results{Reproducible: true}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("report: %w: %s: %v", ErrNotRunFolder, p, err)
	}
	return &r, nil
}

// event is one trace line as read. Data and Text keep their raw JSON; the
// kind is resolved to a code (kindNames).
type event struct {
	Seq   uint64          `json:"seq"`
	T     int64           `json:"t"`
	Kind  string          `json:"kind"`
	Node  int32           `json:"node"`
	Peer  int32           `json:"peer"`
	Msg   uint64          `json:"msg"`
	Label string          `json:"label"`
	Data  json.RawMessage `json:"data"`
	Text  json.RawMessage `json:"text"`
	B64   string          `json:"b64"`
	kind  int
}

// Kind codes, in runtime/trace's order (the index into kindNames). Unknown
// kind names get codes past the end.
const (
	kSend      = int(trace.KindSend)
	kDeliver   = int(trace.KindDeliver)
	kDrop      = int(trace.KindDrop)
	kTimer     = int(trace.KindTimerFire)
	kWake      = int(trace.KindWake)
	kBoot      = int(trace.KindBoot)
	kCrash     = int(trace.KindCrash)
	kRestart   = int(trace.KindRestart)
	kLog       = int(trace.KindLog)
	kEmit      = int(trace.KindEmit)
	kInvoke    = int(trace.KindInvoke)
	kOK        = int(trace.KindOK)
	kFail      = int(trace.KindFail)
	kInfo      = int(trace.KindInfo)
	kDuplicate = int(trace.KindDuplicate)
	kFault     = int(trace.KindFault)
	kStop      = int(trace.KindStop)
)

// baseKinds are the trace's kind names by code (index 0 unused).
var baseKinds = func() []string {
	names := []string{""}
	for k := trace.KindSend; k <= trace.KindStop; k++ {
		names = append(names, k.String())
	}
	return names
}()

// kindTable maps kind names to codes, growing for names it does not know.
type kindTable struct {
	names []string
	codes map[string]int
}

func newKindTable() *kindTable {
	t := &kindTable{names: append([]string(nil), baseKinds...), codes: map[string]int{}}
	for i, n := range t.names {
		if n != "" {
			t.codes[n] = i
		}
	}
	return t
}

func (t *kindTable) code(name string) int {
	if c, ok := t.codes[name]; ok {
		return c
	}
	t.names = append(t.names, name)
	t.codes[name] = len(t.names) - 1
	return len(t.names) - 1
}

// text returns the event's payload as text: the string for "text", the raw
// JSON for "data", a marker for binary data.
func (e *event) text() string {
	switch {
	case len(e.Text) > 0:
		var s string
		if json.Unmarshal(e.Text, &s) == nil {
			return s
		}
		return string(e.Text)
	case len(e.Data) > 0:
		return string(e.Data)
	case e.B64 != "":
		return "(binary, base64 " + strconv.Quote(e.B64) + ")"
	}
	return ""
}

// raw returns the event's payload bytes: the JSON of "data", or the string
// of "text".
func (e *event) raw() []byte {
	if len(e.Text) > 0 {
		var s string
		if json.Unmarshal(e.Text, &s) == nil {
			return []byte(s)
		}
	}
	return e.Data
}

// scanTrace calls fn for every event of the trace file, in order. The event
// is reused: fn must copy what it keeps.
func scanTrace(path string, kinds *kindTable, fn func(e *event) error) error {
	return scanTraceContext(context.Background(), path, kinds, fn)
}

// scanTraceContext is scanTrace, stopping with ctx's error (checked every
// few thousand lines) when ctx is done.
func scanTraceContext(ctx context.Context, path string, kinds *kindTable, fn func(e *event) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("report: %w: %v", ErrNotRunFolder, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var long []byte
	line := 0
	for {
		b, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], b...)
			for err == bufio.ErrBufferFull {
				b, err = r.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("report: %s: %w", path, err)
		}
		if len(b) > 0 {
			line++
			if line&4095 == 0 {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("report: %s: stopped at line %d: %w", path, line, err)
				}
			}
			if !isBlank(b) {
				e := event{}
				if !parseEvent(b, &e) {
					if jerr := json.Unmarshal(b, &e); jerr != nil {
						return fmt.Errorf("report: %w: %s:%d: %v", ErrNotRunFolder, path, line, jerr)
					}
				}
				e.kind = kinds.code(e.Kind)
				if ferr := fn(&e); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}
