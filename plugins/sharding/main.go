// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o sharding.wasm ./plugins/sharding

// Command sharding is a sharded key-value service as a Terrarium guest. One
// module, two roles:
//
//   - router: clients send it read/write/cas requests; it looks the key up
//     in its shard map (by hash bucket or by key range), forwards the
//     request to the owning shard and relays the reply.
//   - shard: stores its keys in its own KV (synced before a write or cas is
//     acknowledged), serves the keys its shard map gives it, and rejects
//     the others with error 11 carrying its map, so that a router with an
//     older map learns the newer one. Every op it serves is emitted as
//     serve {"key","shard","epoch","op"} for the checkers.
//
// Shard maps carry an epoch. Routers assign epoch 1 to the shards at start.
// A router with rebalance_at_ms set adds the first spare shard at that time:
// it fences every old shard with the new map (a fenced shard stops serving
// the keys it gives away and returns their values), then hands those values
// to the new shard, then switches its own map.
//
// Router params:
//
//	{"scheme": "hash"|"range",   // default hash
//	 "shards": ["s0", ...],      // default every node whose name starts with "s"
//	 "initial": 3,               // shards in epoch 1 (default all); the rest are spares
//	 "buckets": 12,              // hash buckets (hash scheme)
//	 "keys": 8,                  // key space k000..k{keys-1} (range scheme bounds)
//	 "rebalance_at_ms": 0,       // add the first spare shard at this time (0: never)
//	 "stale_map": false}         // broken variant, see below
//
// stale_map is a deliberately broken variant: the rebalance copies the
// moving keys to the new shard but does not fence the old owners, so a
// router that has not heard of the new map keeps being served by the old
// owner, while a router that has is served by the new one.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// ShardMap maps keys to shards. Hash: Owners[hashKey(key) % len(Owners)].
// Range: Bounds are ascending split keys; segment i holds the keys k with
// Bounds[i-1] <= k < Bounds[i] and belongs to Owners[i].
type ShardMap struct {
	Epoch  int      `json:"epoch"`
	Scheme string   `json:"scheme"`
	Owners []string `json:"owners"`
	Bounds []string `json:"bounds,omitempty"`
}

// Owner returns the shard that owns key ("" if none).
func (m *ShardMap) Owner(key string) string {
	if m == nil || len(m.Owners) == 0 {
		return ""
	}
	if m.Scheme == "range" {
		i := sort.Search(len(m.Bounds), func(j int) bool { return m.Bounds[j] > key })
		if i >= len(m.Owners) {
			return ""
		}
		return m.Owners[i]
	}
	return m.Owners[hashKey(key)%uint32(len(m.Owners))]
}

// hashKey is FNV-1a followed by a finalizer that spreads similar keys
// (k000, k001, ...) over the buckets.
func hashKey(key string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	x := h.Sum32()
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x
}

func keyName(i int) string { return fmt.Sprintf("k%03d", i) }

func keyIndex(k string) int {
	i, err := strconv.Atoi(strings.TrimPrefix(k, "k"))
	if err != nil {
		return 0
	}
	return i
}

type routerParams struct {
	Scheme        string   `json:"scheme"`
	Shards        []string `json:"shards"`
	Initial       int      `json:"initial"`
	Buckets       int      `json:"buckets"`
	Keys          int      `json:"keys"`
	RebalanceAtMS int      `json:"rebalance_at_ms"`
	StaleMap      bool     `json:"stale_map"`
}

// initialMap spreads the key space over the first p.Initial shards.
func initialMap(p routerParams) *ShardMap {
	old := p.Shards[:p.Initial]
	m := &ShardMap{Epoch: 1, Scheme: p.Scheme}
	if p.Scheme == "range" {
		for i := range old {
			if i > 0 {
				m.Bounds = append(m.Bounds, keyName(i*p.Keys/len(old)))
			}
			m.Owners = append(m.Owners, old[i])
		}
		return m
	}
	for b := 0; b < p.Buckets; b++ {
		m.Owners = append(m.Owners, old[b%len(old)])
	}
	return m
}

// grow returns the next epoch's map with shard added: hash moves buckets
// from the fullest shards (last buckets first); range splits the last
// segment in two and gives the upper half to the new shard.
func grow(m *ShardMap, added string, keys int) *ShardMap {
	n := &ShardMap{Epoch: m.Epoch + 1, Scheme: m.Scheme, Owners: append([]string(nil), m.Owners...), Bounds: append([]string(nil), m.Bounds...)}
	if m.Scheme == "range" {
		lo := 0
		if len(n.Bounds) > 0 {
			lo = keyIndex(n.Bounds[len(n.Bounds)-1])
		}
		n.Bounds = append(n.Bounds, keyName((lo+keys+1)/2))
		n.Owners = append(n.Owners, added)
		return n
	}
	count := map[string]int{}
	for _, o := range n.Owners {
		count[o]++
	}
	target := len(n.Owners) / (len(count) + 1)
	for b := len(n.Owners) - 1; b >= 0 && count[added] < target; b-- {
		o := n.Owners[b]
		if count[o] > target {
			count[o]--
			n.Owners[b] = added
			count[added]++
		}
	}
	return n
}

func main() {
	n := maelstrom.NewNode()
	switch n.Role() {
	case "router":
		r, err := newRouter(n)
		if err != nil {
			log.Fatal(err)
		}
		r.start()
	case "shard":
		s := &shard{n: n, kv: n.Store()}
		if err := s.load(); err != nil {
			log.Fatal(err)
		}
		s.start()
	default:
		log.Fatalf("sharding: unknown role %q (router, shard)", n.Role())
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// ---- router ----

type router struct {
	n *maelstrom.Node
	p routerParams

	mu  sync.Mutex
	cur *ShardMap
}

func newRouter(n *maelstrom.Node) (*router, error) {
	p := routerParams{Scheme: "hash", Buckets: 12, Keys: 8}
	if err := n.ParamsInto(&p); err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	if p.Scheme != "hash" && p.Scheme != "range" {
		return nil, fmt.Errorf("router params: scheme %q is not hash or range", p.Scheme)
	}
	if len(p.Shards) == 0 {
		for _, id := range n.NodeIDs() {
			if strings.HasPrefix(id, "s") {
				p.Shards = append(p.Shards, id)
			}
		}
	}
	if len(p.Shards) == 0 {
		return nil, fmt.Errorf("router params: no shards")
	}
	if p.Initial <= 0 || p.Initial > len(p.Shards) {
		p.Initial = len(p.Shards)
	}
	if p.Buckets <= 0 {
		p.Buckets = 12
	}
	if p.Keys <= 0 {
		p.Keys = 8
	}
	return &router{n: n, p: p, cur: initialMap(p)}, nil
}

func (r *router) start() {
	for _, t := range []string{"read", "write", "cas"} {
		r.n.HandleInline(t, r.forward)
	}
	m := r.current()
	// Started before Run, so their timing is the same on every run.
	for _, s := range r.p.Shards[:r.p.Initial] {
		go r.until(s, map[string]any{"type": "assign", "map": m})
	}
	if r.p.RebalanceAtMS > 0 && r.p.Initial < len(r.p.Shards) {
		go func() {
			time.Sleep(time.Duration(r.p.RebalanceAtMS) * time.Millisecond)
			r.rebalance(r.p.Shards[r.p.Initial])
		}()
	}
}

func (r *router) current() *ShardMap {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// learn adopts a newer map seen in a shard's reply.
func (r *router) learn(m *ShardMap) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m != nil && m.Epoch > r.cur.Epoch {
		r.cur = m
		r.n.Log("learned shard map epoch %d", m.Epoch)
	}
}

// until sends body to dest until it answers (retrying lost messages) and
// returns the reply.
func (r *router) until(dest string, body map[string]any) maelstrom.Message {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		msg, err := r.n.SyncRPC(ctx, dest, body)
		cancel()
		if err == nil {
			return msg
		}
	}
}

// rebalance adds shard added: fence the old owners (they stop serving the
// keys they give away and return them), hand the keys to the new shard,
// then switch the map. With stale_map the old owners are not fenced.
func (r *router) rebalance(added string) {
	old := r.current()
	next := grow(old, added, r.p.Keys)
	r.n.Log("rebalance: epoch %d -> %d adds %s (fence old owners: %v)", old.Epoch, next.Epoch, added, !r.p.StaleMap)
	data := map[string]int{}
	for _, s := range r.p.Shards[:r.p.Initial] {
		reply := r.until(s, map[string]any{"type": "migrate", "map": next, "fence": !r.p.StaleMap})
		var b struct {
			Data map[string]int `json:"data"`
		}
		_ = json.Unmarshal(reply.Body, &b)
		for k, v := range b.Data {
			data[k] = v
		}
	}
	r.until(added, map[string]any{"type": "adopt", "map": next, "data": data})
	r.mu.Lock()
	if next.Epoch > r.cur.Epoch {
		r.cur = next
	}
	r.mu.Unlock()
	r.n.Emit("rebalanced", map[string]any{"epoch": next.Epoch, "added": added, "moved": len(data), "fenced": !r.p.StaleMap})
}

type kvRequest struct {
	Type  string `json:"type"`
	Key   string `json:"key"`
	Value *int   `json:"value,omitempty"`
	From  *int   `json:"from,omitempty"`
	To    *int   `json:"to,omitempty"`
	Epoch int    `json:"epoch,omitempty"`
}

// forward sends a client's request to the key's shard and relays the reply.
func (r *router) forward(msg maelstrom.Message) error {
	var req kvRequest
	if err := json.Unmarshal(msg.Body, &req); err != nil || req.Key == "" {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "need a key")
	}
	m := r.current()
	owner := m.Owner(req.Key)
	if owner == "" {
		return maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, "no shard for "+req.Key)
	}
	req.Epoch = m.Epoch
	return r.n.RPC(owner, req, func(reply maelstrom.Message) error {
		var body map[string]any
		if err := json.Unmarshal(reply.Body, &body); err != nil {
			return err
		}
		if raw, ok := body["map"]; ok {
			b, _ := json.Marshal(raw)
			var sm ShardMap
			if json.Unmarshal(b, &sm) == nil {
				r.learn(&sm)
			}
			delete(body, "map")
		}
		delete(body, "msg_id")
		delete(body, "in_reply_to")
		body["shard"] = owner
		return r.n.Reply(msg, body)
	})
}

// ---- shard ----

const (
	dataPrefix = "kv/"
	mapKey     = "meta/map"
	adoptedKey = "meta/adopted"
)

type shard struct {
	n  *maelstrom.Node
	kv *maelstrom.Store

	mu      sync.Mutex
	m       *ShardMap // nil: not assigned yet
	adopted int       // the last epoch whose hand-off this shard applied
	// stateBuf is publish's JSON.
	stateBuf []byte
}

func (s *shard) load() error {
	if b, ok, err := s.kv.Get(mapKey); err != nil {
		return err
	} else if ok {
		var m ShardMap
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("stored map: %w", err)
		}
		s.m = &m
	}
	if b, ok, err := s.kv.Get(adoptedKey); err != nil {
		return err
	} else if ok {
		s.adopted, _ = strconv.Atoi(string(b))
	}
	return nil
}

func (s *shard) start() {
	for _, t := range []string{"read", "write", "cas"} {
		s.n.HandleInline(t, s.serve)
	}
	s.n.HandleInline("assign", s.assign)
	s.n.HandleInline("migrate", s.migrate)
	s.n.HandleInline("adopt", s.adopt)
	s.n.Emit("shard_up", map[string]any{"shard": s.n.ID(), "restarted": s.n.Restarted()})
	s.publish()
}

// publish emits the shard's state (maelstrom.Node.SetState) after its
// epoch or adoption changed: {"epoch":E,"adopted":A}, the map epoch it
// serves under and the last epoch whose hand-off it adopted. It writes
// into a buffer it keeps, allocating nothing once that has grown, so
// that the Go runtime's collections, and the goroutines that follow them,
// run as they did without it: the emit adds a trace event and changes
// nothing else.
func (s *shard) publish() {
	b := append(s.stateBuf[:0], `{"epoch":`...)
	b = strconv.AppendInt(b, int64(s.epoch()), 10)
	b = append(b, `,"adopted":`...)
	b = strconv.AppendInt(b, int64(s.adopted), 10)
	b = append(b, '}')
	s.stateBuf = b
	s.n.SetState(json.RawMessage(b))
}

func (s *shard) epoch() int {
	if s.m == nil {
		return 0
	}
	return s.m.Epoch
}

// setMap stores m durably; callers hold s.mu.
func (s *shard) setMap(m *ShardMap) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := s.kv.Put(mapKey, b); err != nil {
		return err
	}
	s.m = m
	s.publish()
	return nil
}

func (s *shard) get(key string) (int, bool, error) {
	b, ok, err := s.kv.Get(dataPrefix + key)
	if err != nil || !ok {
		return 0, false, err
	}
	v, err := strconv.Atoi(string(b))
	return v, err == nil, err
}

func (s *shard) put(key string, v int) error {
	return s.kv.Put(dataPrefix+key, []byte(strconv.Itoa(v)))
}

func (s *shard) reject(msg maelstrom.Message, key string) error {
	return s.n.Reply(msg, map[string]any{
		"type": "error", "code": maelstrom.TemporarilyUnavailable,
		"text": fmt.Sprintf("shard %s does not own %s at epoch %d", s.n.ID(), key, s.epoch()),
		"map":  s.m,
	})
}

func (s *shard) serve(msg maelstrom.Message) error {
	var req kvRequest
	if err := json.Unmarshal(msg.Body, &req); err != nil || req.Key == "" {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "need a key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.Owner(req.Key) != s.n.ID() {
		return s.reject(msg, req.Key)
	}
	s.n.Emit("serve", map[string]any{"key": req.Key, "shard": s.n.ID(), "epoch": s.epoch(), "op": req.Type})
	switch req.Type {
	case "read":
		v, ok, err := s.get(req.Key)
		if err != nil {
			return err
		}
		var val any
		if ok {
			val = v
		}
		return s.n.Reply(msg, map[string]any{"type": "read_ok", "key": req.Key, "value": val})
	case "write":
		if req.Value == nil {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, "write needs a value")
		}
		if err := s.put(req.Key, *req.Value); err != nil {
			return err
		}
		if err := s.kv.Sync(); err != nil {
			return err
		}
		return s.n.Reply(msg, map[string]any{"type": "write_ok", "key": req.Key})
	case "cas":
		if req.From == nil || req.To == nil {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, "cas needs from and to")
		}
		v, ok, err := s.get(req.Key)
		if err != nil {
			return err
		}
		if !ok {
			return maelstrom.NewRPCError(maelstrom.KeyDoesNotExist, "no key "+req.Key)
		}
		if v != *req.From {
			return maelstrom.NewRPCError(maelstrom.PreconditionFailed, fmt.Sprintf("%s is %d, not %d", req.Key, v, *req.From))
		}
		if err := s.put(req.Key, *req.To); err != nil {
			return err
		}
		if err := s.kv.Sync(); err != nil {
			return err
		}
		return s.n.Reply(msg, map[string]any{"type": "cas_ok", "key": req.Key})
	}
	return maelstrom.NewRPCError(maelstrom.NotSupported, req.Type)
}

type mapBody struct {
	Map   *ShardMap      `json:"map"`
	Fence bool           `json:"fence"`
	Data  map[string]int `json:"data"`
}

// assign installs an epoch's map if it is newer than the shard's.
func (s *shard) assign(msg maelstrom.Message) error {
	var b mapBody
	if err := json.Unmarshal(msg.Body, &b); err != nil || b.Map == nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "assign needs a map")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Map.Epoch > s.epoch() {
		if err := s.setMap(b.Map); err != nil {
			return err
		}
		if err := s.kv.Sync(); err != nil {
			return err
		}
	}
	return s.n.Reply(msg, map[string]any{"type": "assign_ok", "epoch": s.epoch()})
}

// migrate returns the values of the keys that the new map gives to another
// shard; with fence it first installs the new map, so it stops serving
// them. It is idempotent: a retry returns the same keys.
func (s *shard) migrate(msg maelstrom.Message) error {
	var b mapBody
	if err := json.Unmarshal(msg.Body, &b); err != nil || b.Map == nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "migrate needs a map")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Fence && b.Map.Epoch > s.epoch() {
		if err := s.setMap(b.Map); err != nil {
			return err
		}
		if err := s.kv.Sync(); err != nil {
			return err
		}
	}
	pairs, err := s.kv.Scan(dataPrefix)
	if err != nil {
		return err
	}
	out := map[string]int{}
	for _, p := range pairs {
		k := strings.TrimPrefix(p.Key, dataPrefix)
		if b.Map.Owner(k) == s.n.ID() {
			continue
		}
		if v, err := strconv.Atoi(string(p.Value)); err == nil {
			out[k] = v
		}
	}
	return s.n.Reply(msg, map[string]any{"type": "migrate_ok", "data": out})
}

// adopt stores the keys handed to this shard and installs the new map,
// once per epoch (a duplicate must not overwrite newer writes).
func (s *shard) adopt(msg maelstrom.Message) error {
	var b mapBody
	if err := json.Unmarshal(msg.Body, &b); err != nil || b.Map == nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "adopt needs a map")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Map.Epoch > s.adopted {
		keys := make([]string, 0, len(b.Data))
		for k := range b.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := s.put(k, b.Data[k]); err != nil {
				return err
			}
		}
		if b.Map.Epoch > s.epoch() {
			if err := s.setMap(b.Map); err != nil {
				return err
			}
		}
		if err := s.kv.Put(adoptedKey, []byte(strconv.Itoa(b.Map.Epoch))); err != nil {
			return err
		}
		if err := s.kv.Sync(); err != nil {
			return err
		}
		s.adopted = b.Map.Epoch
		s.publish()
	}
	return s.n.Reply(msg, map[string]any{"type": "adopt_ok", "epoch": s.epoch()})
}
