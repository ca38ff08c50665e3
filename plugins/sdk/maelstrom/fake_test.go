package maelstrom

import (
	"encoding/binary"
	"sort"
	"strings"
	"sync"
)

// fakeHost records what a node asks of the host. It is safe for the
// concurrent goroutines a host-side test runs.
type fakeHost struct {
	mu      sync.Mutex
	clock   int64
	sends   []sent
	sendRC  int32
	logs    []string
	emits   []string
	kv      map[string][]byte
	kvRC    int32 // returned by put/delete/sync when not 0
	getLens []int // the buffer sizes kv_get and kv_scan were called with
	syncs   int
	sentCh  chan sent
	names   []string // every endpoint's name, for nodeName and nodeIndex
	lookups int      // nodeName and nodeIndex calls
	stops   []string // stop's reasons
	panics  []string // handlerPanicked's types
	timers  []int64  // timerSet's delays; timer i+1 is timers[i]
}

func (f *fakeHost) stop(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops = append(f.stops, reason)
}

func (f *fakeHost) handlerPanicked(typ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.panics = append(f.panics, typ)
}

type sent struct {
	to  int32
	msg string
}

func newFakeHost() *fakeHost {
	return &fakeHost{kv: map[string][]byte{}, sentCh: make(chan sent, 100)}
}

func (f *fakeHost) send(to int32, msg []byte) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendRC != 0 {
		return f.sendRC
	}
	s := sent{to, string(msg)}
	f.sends = append(f.sends, s)
	select {
	case f.sentCh <- s:
	default:
	}
	return 0
}

func (f *fakeHost) now() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

func (f *fakeHost) log(level Level, line []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, string(line))
}

func (f *fakeHost) emit(key string, value []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.emits = append(f.emits, key+"="+string(value))
}

func (f *fakeHost) kvGet(key string, buf []byte) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getLens = append(f.getLens, len(buf))
	v, ok := f.kv[key]
	if !ok {
		return -1
	}
	if len(v) <= len(buf) {
		copy(buf, v)
	}
	return int32(len(v))
}

func (f *fakeHost) kvPut(key string, value []byte) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kvRC != 0 {
		return f.kvRC
	}
	f.kv[key] = append([]byte(nil), value...)
	return 0
}

func (f *fakeHost) kvDelete(key string) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kvRC != 0 {
		return f.kvRC
	}
	delete(f.kv, key)
	return 0
}

func (f *fakeHost) kvScan(prefix string, buf []byte) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getLens = append(f.getLens, len(buf))
	var keys []string
	for k := range f.kv {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var enc []byte
	for _, k := range keys {
		enc = binary.LittleEndian.AppendUint32(enc, uint32(len(k)))
		enc = append(enc, k...)
		enc = binary.LittleEndian.AppendUint32(enc, uint32(len(f.kv[k])))
		enc = append(enc, f.kv[k]...)
	}
	if len(enc) <= len(buf) {
		copy(buf, enc)
	}
	return int32(len(enc))
}

func (f *fakeHost) timerSet(delay int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timers = append(f.timers, delay)
	return int64(len(f.timers))
}

func (f *fakeHost) kvSync() int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kvRC != 0 {
		return f.kvRC
	}
	f.syncs++
	return 0
}

// nodeName and nodeIndex answer from f.names (every endpoint by index).
func (f *fakeHost) nodeName(i int32, buf []byte) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if i < 0 || int(i) >= len(f.names) {
		return abiAbsent
	}
	if len(f.names[i]) <= len(buf) {
		copy(buf, f.names[i])
	}
	return int32(len(f.names[i]))
}

func (f *fakeHost) nodeIndex(name string) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	for i, n := range f.names {
		if n == name {
			return int32(i)
		}
	}
	return abiAbsent
}

func (f *fakeHost) sent() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sends...)
}

// testNode is node n1 of n0..n2 with clients c0, c1 (indices 3, 4).
func testNode(h *fakeHost) *Node {
	n := newNode(h)
	if err := n.setup([]byte(`{"node":"n1","index":1,"role":"server","nodes":["n0","n1","n2"],"clients":["c0","c1"],"params":{"gossip_ms":5},"restart":false,"seed":3}`)); err != nil {
		panic(err)
	}
	return n
}
