package report

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// DataCap is the largest event payload lamport.html embeds whole.
const DataCap = 8 << 10

// results is the name the report's code uses for the run folder's
// results.json.
type results = runfolder.Result

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
		return fmt.Errorf("report: %w: %v", runfolder.ErrNotRunFolder, err)
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
						return fmt.Errorf("report: %w: %s:%d: %v", runfolder.ErrNotRunFolder, path, line, jerr)
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
