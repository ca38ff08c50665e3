package attack

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A 15-byte module declaring a code section of 2^32-1 functions killed the
// server (fatal error: runtime: out of memory) while it was validated. It
// is refused, and the server lives.
func TestAttackTinyUploadDeclaringHugeSection(t *testing.T) {
	s := start(t)
	r := s.call(t, time.Minute, http.MethodPost, "/modules", []byte("\x00asm\x01\x00\x00\x00\x0a\x05\xff\xff\xff\xff\x0f"))
	assert.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, r.status, "answer: %s", r.body)
	s.assertHealthy(t)
	// And the server still takes a good module.
	s.upload(t, guest(t, "", ""))
}

// A module whose on_init grows its table by 2^31-1 entries (a 16 GiB
// allocation) killed the server. Now it ends its worker, whose run ends
// with a verdict naming the cause; the server and its other runs go on.
func TestAttackTableGrow(t *testing.T) {
	s := start(t)
	sha := s.upload(t, guest(t, "(drop (table.grow (ref.null func) (i32.const 0x7fffffff)))", "(table 1 funcref)"))
	id := s.run(t, "table-grow", sha)
	st := s.waitFinished(t, id, time.Minute)
	if e, _ := st["error"].(string); strings.Contains(e, "worker") {
		assert.Contains(t, e, "memory limit", "the verdict names the worker's limit")
		assert.Equal(t, "unknown", st["verdict"])
	}
	s.assertHealthy(t)
}

// A module looping memory.fill in on_init froze the whole server: pause,
// DELETE and SIGTERM hung. Now the server answers throughout, a pause
// that the worker cannot honour kills it (the verdict says so), DELETE
// ends another such run at once, and SIGTERM ends the server (checked by
// the cleanup of start).
func TestAttackMemoryFillLoop(t *testing.T) {
	s := start(t)
	sha := s.upload(t, guest(t, "(loop $l (memory.fill (i32.const 0) (i32.const 0) (i32.const 65536)) (br $l))", ""))
	id := s.run(t, "fill", sha)
	s.assertHealthy(t)
	r := s.call(t, 15*time.Second, http.MethodPost, "/runs/"+id+"/control", []byte(`{"action":"pause"}`))
	require.Equal(t, http.StatusOK, r.status, "pause: %s", r.body)
	st := r.json(t)
	t.Logf("after pause: state %v, error %v", st["state"], st["error"])
	if st["state"] != "paused" {
		// With bulk instructions charged by length, the node runs out of
		// its budget within a second and the run goes on to its end;
		// without, the guest call never returns: the worker is killed
		// and the run ends, saying why.
		assert.Equal(t, "finished", st["state"])
		if e, _ := st["error"].(string); e != "" {
			assert.Contains(t, e, "did not pause")
			assert.Equal(t, "unknown", st["verdict"])
		}
	}
	s.assertHealthy(t)

	id2 := s.run(t, "fill-2", sha)
	begin := time.Now()
	r = s.call(t, 15*time.Second, http.MethodDelete, "/runs/"+id2, nil)
	assert.Equal(t, http.StatusNoContent, r.status, "delete: %s", r.body)
	assert.Less(t, time.Since(begin), 10*time.Second, "DELETE of a frozen run")
	assert.Equal(t, http.StatusNotFound, s.call(t, 2*time.Second, http.MethodGet, "/runs/"+id2, nil).status)
	s.assertHealthy(t)
}

// An empty loop in on_init, which the boot budget stops, stalled every
// request of the server for 9-20 s. Now the server answers within a
// second throughout, and the run finishes.
func TestAttackEmptyLoop(t *testing.T) {
	slow(t)
	s := start(t)
	sha := s.upload(t, guest(t, "(loop $l (br $l))", ""))
	id := s.run(t, "spin", sha)
	s.waitFinished(t, id, 2*time.Minute) // checks health every 200 ms
	s.assertHealthy(t)
}

// A module that sends two messages per message it receives floods its
// run; the server stays flat and answering while it does, and deleting
// the run ends it.
func TestAttackFlood(t *testing.T) {
	slow(t)
	s := start(t)
	sha := s.upload(t, wat(t, `(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "x")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $send (i32.const 0) (i32.const 0) (i32.const 1))))
  (func (export "on_message") (param i32 i32 i32)
    (drop (call $send (i32.const 0) (i32.const 0) (i32.const 1)))
    (drop (call $send (i32.const 0) (i32.const 0) (i32.const 1)))))`))
	id := s.run(t, "flood", sha)
	end := time.Now().Add(20 * time.Second)
	for time.Now().Before(end) {
		s.assertHealthy(t)
		st := s.call(t, 2*time.Second, http.MethodGet, "/runs/"+id, nil).json(t)
		if st["state"] == "finished" {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	r := s.call(t, 15*time.Second, http.MethodDelete, "/runs/"+id, nil)
	assert.Equal(t, http.StatusNoContent, r.status)
	s.assertHealthy(t)
}

// uleb appends n as an unsigned LEB128.
func uleb(b []byte, n uint64) []byte {
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func section(id byte, body []byte) []byte {
	return append(uleb([]byte{id}, uint64(len(body))), body...)
}

// manyLocals is a valid 1.6 MB module of 200k functions of 50,000 locals
// each: under every per-function limit, it took the server past 3 GiB
// within 2 s of its upload.
func manyLocals() []byte {
	const funcs, locals = 200_000, 50_000
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = append(m, section(1, []byte{1, 0x60, 0, 0})...) // one type: () -> ()
	fs := uleb(nil, funcs)
	for range funcs {
		fs = append(fs, 0)
	}
	m = append(m, section(3, fs)...)
	body := uleb([]byte{1}, locals) // one local entry: 50,000 × i32
	body = append(body, 0x7f, 0x0b)
	code := uleb(nil, funcs)
	for range funcs {
		code = uleb(code, uint64(len(body)))
		code = append(code, body...)
	}
	return append(m, section(10, code)...)
}

// The 1.6 MB module of 200k functions × 50,000 locals is refused, and
// validating it costs the server nothing.
func TestAttackManyLocalsUpload(t *testing.T) {
	s := start(t)
	wasm := manyLocals()
	require.Less(t, len(wasm), 2<<20)
	r := s.call(t, 2*time.Minute, http.MethodPost, "/modules", wasm)
	assert.Contains(t, []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}, r.status, "answer: %s", r.body)
	t.Logf("answer: %d %s", r.status, r.body)
	s.assertHealthy(t)
}

// SIGTERM ends the server within a bound while a worker is frozen in a
// guest call: the worker is killed after its grace period.
func TestAttackSIGTERMWithFrozenRun(t *testing.T) {
	s := start(t)
	sha := s.upload(t, guest(t, "(loop $l (memory.fill (i32.const 0) (i32.const 0) (i32.const 65536)) (br $l))", ""))
	s.run(t, "fill", sha)
	s.assertHealthy(t)
	begin := time.Now()
	s.stop(t) // fails the test past 10 s
	t.Logf("the server exited %v after SIGTERM", time.Since(begin))
}
