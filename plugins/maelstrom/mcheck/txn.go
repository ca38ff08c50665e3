package mcheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// txn is txn-rw-register (micro-ops ["r",k,null] and ["w",k,v]) or
// txn-list-append (["r",k,null] and ["append",k,v]).
type txn struct {
	name    string
	appends bool
}

type txnParams struct {
	// KeyCount is the number of keys in use at any time (Elle's
	// key-count, default 10; Maelstrom's --key-count).
	KeyCount int `json:"key_count"`
	// MaxTxnLength bounds the micro-ops of one transaction (Maelstrom's
	// --max-txn-length, default 4).
	MaxTxnLength int `json:"max_txn_length"`
	// MaxWritesPerKey is how many values a key gets before it is replaced
	// by a fresh key (Maelstrom's --max-writes-per-key, default 16).
	MaxWritesPerKey int `json:"max_writes_per_key"`
}

// Start implements workload.Workload: each operation is one transaction
// from Elle's generator (elle.txn/wr-txns for txn-rw-register,
// elle.list-append/append-txns for txn-list-append; see keyPool), sent
// as {"type":"txn","txn":[[f,k,v],...]} and answered by txn_ok
// {"txn":[...]} with the reads filled in. Written and appended values
// are unique per key (1, 2, ...). An error reply 30 (txn-conflict) or
// any other definite error fails the transaction: it did not happen.
func (w txn) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := txnParams{KeyCount: elleKeyCount, MaxTxnLength: elleMaxTxnLength, MaxWritesPerKey: elleMaxWritesPerKey}
	if err := params(w.name, spec.Params, &p); err != nil {
		return 0, err
	}
	if p.KeyCount < 1 || p.MaxTxnLength < 1 || p.MaxWritesPerKey < 1 {
		return 0, fmt.Errorf("workload %s: params.key_count, params.max_txn_length and params.max_writes_per_key must be at least 1", w.name)
	}
	write := "w"
	if w.appends {
		write = "append"
	}
	pool := newKeyPool(spec.Rand, p.KeyCount, p.MaxWritesPerKey)
	loop(s, spec, 0, func(c workload.Client, target string, done func()) {
		ops := make([][3]any, txnLength(spec.Rand, p.MaxTxnLength))
		for i := range ops {
			f, k, v := pool.mop()
			if f == "r" {
				ops[i] = [3]any{"r", k, nil}
			} else {
				ops[i] = [3]any{write, k, v}
			}
		}
		perform(c, target, spec.Timeout, request{f: "txn", value: ops, body: map[string]any{"type": "txn", "txn": ops},
			ok: func(b json.RawMessage) (any, error) {
				var r struct {
					Txn json.RawMessage `json:"txn"`
				}
				if err := json.Unmarshal(b, &r); err != nil {
					return nil, err
				}
				got, err := decodeTxn(r.Txn)
				if err != nil {
					return nil, err
				}
				if len(got) != len(ops) {
					return nil, fmt.Errorf("txn_ok has %d micro-ops, the request %d", len(got), len(ops))
				}
				return r.Txn, nil
			}}, func(outcome) { done() })
	})
	return spec.Duration + spec.Timeout, nil
}

// mop is one micro-op as the checker sees it.
type mop struct {
	f     string
	key   int
	value json.RawMessage // the written value or the read's result
}

func decodeTxn(raw json.RawMessage) ([]mop, error) {
	var list [][]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	out := make([]mop, len(list))
	for i, m := range list {
		if len(m) != 3 {
			return nil, fmt.Errorf("micro-op %d has %d elements, not 3", i, len(m))
		}
		if err := json.Unmarshal(m[0], &out[i].f); err != nil {
			return nil, fmt.Errorf("micro-op %d: f: %w", i, err)
		}
		if err := json.Unmarshal(m[1], &out[i].key); err != nil {
			return nil, fmt.Errorf("micro-op %d: key: %w", i, err)
		}
		out[i].value = m[2]
	}
	return out, nil
}

// txnOp is one transaction of the history.
type txnOp struct {
	index int // history index of the invocation
	typ   string
	ops   []mop // completed (ok) or as requested
	desc  string
}

func (t *txnOp) String() string { return t.desc }

// txnHistory collects the transactions: ok ones with their completed
// micro-ops, others as invoked.
func txnHistory(in check.Input) []*txnOp {
	done, open := history.Pairs(in.History)
	var out []*txnOp
	add := func(inv history.Op, typ string, val json.RawMessage) {
		ops, err := decodeTxn(val)
		if err != nil {
			return
		}
		out = append(out, &txnOp{index: inv.Index, typ: typ, ops: ops,
			desc: fmt.Sprintf("op %d (%s, process %d via %s at %v) %s", inv.Index, typ, inv.Process, inv.Node, time.Duration(inv.Time), val)})
	}
	for _, p := range done {
		if p[0].F != "txn" {
			continue
		}
		v := p[0].Value
		if p[1].Type == history.OpOK {
			v = p[1].Value
		}
		add(p[0], p[1].Type, v)
	}
	for _, op := range open {
		if op.F == "txn" {
			add(op, history.OpInfo, op.Value)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out
}

// anomalies collects what a transaction checker found, by name.
type anomalies map[string][]string

func (a anomalies) add(name, format string, args ...any) {
	a[name] = append(a[name], fmt.Sprintf(format, args...))
}

// Dependency kinds, as bits of an edge.
const (
	ww = 1 << iota // write-write: the later transaction overwrote the earlier's version
	wr             // write-read: the later read the earlier's version
	rw             // read-write (anti-dependency): the later overwrote the version the earlier read
)

var kindNames = map[int]string{ww: "ww", wr: "wr", rw: "rw"}

// graph is a dependency graph over transactions.
type graph struct {
	edges map[*txnOp]map[*txnOp]int
}

func newGraph() *graph { return &graph{edges: map[*txnOp]map[*txnOp]int{}} }

func (g *graph) link(from, to *txnOp, kind int) {
	if from == to || from == nil || to == nil {
		return
	}
	if g.edges[from] == nil {
		g.edges[from] = map[*txnOp]int{}
	}
	g.edges[from][to] |= kind
}

// cycle returns one cycle over the edges of the given kinds (as "op 1
// -ww-> op 5 -wr-> op 1"), or "" if there is none.
func (g *graph) cycle(kinds int) string {
	var nodes []*txnOp
	for n := range g.edges {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].index < nodes[j].index })
	succ := func(n *txnOp) []*txnOp {
		var out []*txnOp
		for m, k := range g.edges[n] {
			if k&kinds != 0 {
				out = append(out, m)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
		return out
	}
	const (
		white = iota
		grey
		black
	)
	color := map[*txnOp]int{}
	var stack, found []*txnOp
	var visit func(n *txnOp) bool
	visit = func(n *txnOp) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, m := range succ(n) {
			switch color[m] {
			case grey:
				for i, s := range stack {
					if s == m {
						found = append(append([]*txnOp(nil), stack[i:]...), m)
						return true
					}
				}
			case white:
				if visit(m) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range nodes {
		if color[n] == white && visit(n) {
			break
		}
	}
	if found == nil {
		return ""
	}
	var b strings.Builder
	for i, t := range found {
		if i > 0 {
			k := g.edges[found[i-1]][t] & kinds
			for _, bit := range []int{ww, wr, rw} {
				if k&bit != 0 {
					fmt.Fprintf(&b, " -%s-> ", kindNames[bit])
					break
				}
			}
		}
		fmt.Fprintf(&b, "op %d", t.index)
	}
	return b.String()
}

// txnResult turns anomalies into a verdict. Read-uncommitted proscribes
// G0 (a cycle of write-write dependencies); read-committed also G1a
// (aborted read), G1b (intermediate read) and G1c (a cycle of write-write
// and write-read dependencies); serializable also G2 (a cycle with
// anti-dependencies). Anomalies outside the model are reported but do not
// fail it.
func txnResult(name string, in check.Input, txns []*txnOp, a anomalies, g *graph) check.Result {
	model := "read-committed"
	var p struct {
		Model string `json:"consistency_model"`
	}
	if len(in.Params) > 0 && json.Unmarshal(in.Params, &p) == nil && p.Model != "" {
		model = p.Model
	}
	var proscribed []string
	switch model {
	case "read-uncommitted":
		proscribed = []string{"G0", "internal", "incompatible-order", "duplicate-elements"}
	case "read-committed":
		proscribed = []string{"G0", "G1a", "G1b", "G1c", "internal", "incompatible-order", "duplicate-elements"}
	case "serializable":
		proscribed = []string{"G0", "G1a", "G1b", "G1c", "G2", "internal", "incompatible-order", "duplicate-elements"}
	default:
		return check.Result{Verdict: check.Unknown, Summary: fmt.Sprintf("%s: params.consistency_model %q is not read-uncommitted, read-committed or serializable", name, model)}
	}
	if c := g.cycle(ww); c != "" {
		a.add("G0", "write cycle: %s", c)
	} else if c := g.cycle(ww | wr); c != "" {
		a.add("G1c", "dependency cycle: %s", c)
	} else if c := g.cycle(ww | wr | rw); c != "" {
		a.add("G2", "anti-dependency cycle: %s", c)
	}
	ok := 0
	for _, t := range txns {
		if t.typ == history.OpOK {
			ok++
		}
	}
	d := map[string]any{"transactions": len(txns), "ok": ok, "consistency_model": model}
	counts := map[string]int{}
	for k, v := range a {
		counts[k] = len(v)
	}
	d["anomaly_counts"] = counts
	// Elle has no garbage read (elle/rw_register.clj and
	// elle/list_append.clj check only internal, G1a, G1b, lost updates,
	// duplicates, incompatible orders and cycles): a value no transaction
	// wrote, such as 0 for a key never written, is a finding.
	garbage := a["garbage-read"]
	delete(a, "garbage-read")
	delete(counts, "garbage-read")
	var bad []string
	for _, name := range proscribed {
		if len(a[name]) > 0 {
			bad = append(bad, name)
		}
	}
	if len(a) > 0 {
		ex := map[string][]string{}
		for k, v := range a {
			ex[k] = v[:min(len(v), 5)]
		}
		d["anomalies"] = ex
	}
	var res check.Result
	switch {
	case len(bad) > 0:
		res = check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%s anomalies %v rule out %s; first: %s", name, bad, model, a[bad[0]][0])}
	case ok == 0:
		res = check.Result{Verdict: check.Unknown, Details: d, Summary: "no transaction completed"}
	default:
		res = check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("%d transactions (%d ok) show no anomaly %s proscribes %v", len(txns), ok, model, proscribed[:slices.Index(proscribed, "internal")])}
	}
	res.Find("garbage-read", garbage)
	return res
}

// version is one value of one key: unique per key, so it names its writer.
type version struct {
	key int
	v   string
}

// writers maps every version that an op of kind f wrote to its
// transaction, and marks the versions that were their writer's last
// write of the key.
func writers(txns []*txnOp, f string) (writer map[version]*txnOp, last map[version]bool) {
	writer, last = map[version]*txnOp{}, map[version]bool{}
	for _, t := range txns {
		lastv := map[int]string{}
		for _, m := range t.ops {
			if m.f == f {
				v := canonical(m.value)
				writer[version{m.key, v}] = t
				lastv[m.key] = v
			}
		}
		for k, v := range lastv {
			last[version{k, v}] = true
		}
	}
	return writer, last
}

// TxnRWRegister checks a txn-rw-register history for the anomalies
// read-committed rules out: a read of a value no transaction wrote
// (garbage), a read inside a transaction that misses its own earlier
// write (internal), G1a (the writer failed), G1b (the value was not its
// writer's last write of the key), and cycles of ww/wr dependencies (G0,
// G1c). Values are unique per key, so a read names its writer; ww edges
// come from a transaction that read a key and then wrote it (writes
// follow reads), as Maelstrom infers them, and give rw edges from every
// other reader of the version overwritten (G2 under serializable).
func TxnRWRegister(in check.Input) check.Result {
	txns := txnHistory(in)
	type kv = version
	writer, final := writers(txns, "w") // final: the writer's last write of that key
	a := anomalies{}
	g := newGraph()
	overwrote := map[kv][]*txnOp{} // a version -> the transactions known to have overwritten it
	type extRead struct {
		t *txnOp
		v kv
	}
	var extReads []extRead
	nilReads := map[int][]*txnOp{} // key -> transactions that read it as nil
	for _, t := range txns {
		if t.typ != history.OpOK {
			continue
		}
		own := map[int]string{}
		readFrom := map[int]*txnOp{}
		readVal := map[int]string{}
		for _, m := range t.ops {
			switch m.f {
			case "w":
				if w, ok := readFrom[m.key]; ok {
					g.link(w, t, ww)
					v := kv{m.key, readVal[m.key]}
					overwrote[v] = append(overwrote[v], t)
				}
				own[m.key] = canonical(m.value)
			case "r":
				v := canonical(m.value)
				if mine, ok := own[m.key]; ok {
					if v != mine {
						a.add("internal", "%s read key %d = %s after writing %s", t, m.key, v, mine)
					}
					continue
				}
				if v == "null" {
					nilReads[m.key] = append(nilReads[m.key], t)
					continue
				}
				w, ok := writer[kv{m.key, v}]
				switch {
				case !ok:
					a.add("garbage-read", "%s read key %d = %s, which no transaction wrote", t, m.key, v)
					continue
				case w.typ == history.OpFail:
					a.add("G1a", "%s read key %d = %s, written by the failed %s", t, m.key, v, w)
				case w != t && !final[kv{m.key, v}]:
					a.add("G1b", "%s read key %d = %s, an intermediate write of %s", t, m.key, v, w)
				}
				readFrom[m.key] = w
				readVal[m.key] = v
				extReads = append(extReads, extRead{t, kv{m.key, v}})
				g.link(w, t, wr)
			}
		}
	}
	for _, r := range extReads {
		for _, x := range overwrote[r.v] {
			g.link(r.t, x, rw)
		}
	}
	// Elle's initial-state-version-graphs: nil comes before every version
	// of a key, so a transaction that read nil is followed (rw) by every
	// transaction that wrote the key and did not fail. The writers of each
	// key are listed once, in history order (scanning the whole history
	// for every nil read made the check quadratic: RATIONALE.md, "Heavy
	// workloads"); the edges and their order are what the scan gave.
	keyWriters := writersByKey(txns, nilReads)
	for _, k := range sortedIntKeys(nilReads) {
		for _, t := range nilReads[k] {
			for _, w := range keyWriters[k] {
				g.link(t, w, rw)
			}
		}
	}
	return txnResult("txn-rw-register", in, txns, a, g)
}

// writersByKey lists, for each key in keys, the transactions that did not
// fail and wrote it, once each, in history order.
func writersByKey(txns []*txnOp, keys map[int][]*txnOp) map[int][]*txnOp {
	out := map[int][]*txnOp{}
	for _, w := range txns {
		if w.typ == history.OpFail {
			continue
		}
		for i, m := range w.ops {
			if _, ok := keys[m.key]; !ok || m.f != "w" || wroteBefore(w.ops[:i], m.key) {
				continue
			}
			out[m.key] = append(out[m.key], w)
		}
	}
	return out
}

// wroteBefore reports whether ops write key.
func wroteBefore(ops []mop, key int) bool {
	for _, m := range ops {
		if m.f == "w" && m.key == key {
			return true
		}
	}
	return false
}

// TxnListAppend checks a txn-list-append history: every element a read
// holds must have been appended (garbage otherwise), by a transaction that
// did not fail (G1a); a read must not end at an element its appender
// followed with another append to the key (G1b); a transaction's reads
// must show its own appends at the end (internal); all reads of a key
// must be prefixes of its longest read (incompatible order otherwise),
// whose order gives ww edges; a read gives a wr edge from the appender of
// its last element and an rw edge to the appender of the next one. Cycles
// are G0 (ww only), G1c (ww and wr) or G2 (with rw).
func TxnListAppend(in check.Input) check.Result {
	txns := txnHistory(in)
	type kv = version
	appender, lastOf := writers(txns, "append") // lastOf: the appender's last append to that key
	a := anomalies{}
	g := newGraph()
	longest := map[int][]string{}
	type readOf struct {
		t    *txnOp
		list []string
	}
	var reads = map[int][]readOf{}
	for _, t := range txns {
		if t.typ != history.OpOK {
			continue
		}
		own := map[int][]string{}
		for _, m := range t.ops {
			switch m.f {
			case "append":
				own[m.key] = append(own[m.key], canonical(m.value))
			case "r":
				var raw []json.RawMessage
				if string(m.value) != "null" {
					if err := json.Unmarshal(m.value, &raw); err != nil {
						a.add("garbage-read", "%s read key %d = %s, not a list", t, m.key, m.value)
						continue
					}
				}
				list := make([]string, len(raw))
				seen := map[string]bool{}
				for i, e := range raw {
					list[i] = canonical(e)
					if seen[list[i]] {
						a.add("duplicate-elements", "%s read key %d = %s: %s twice", t, m.key, m.value, list[i])
					}
					seen[list[i]] = true
				}
				if mine := own[m.key]; len(mine) > 0 {
					if len(list) < len(mine) || strings.Join(list[len(list)-len(mine):], ",") != strings.Join(mine, ",") {
						a.add("internal", "%s read key %d = %s, not ending with its own appends %v", t, m.key, m.value, mine)
					}
				}
				for _, e := range list {
					w, ok := appender[kv{m.key, e}]
					switch {
					case !ok:
						a.add("garbage-read", "%s read key %d holding %s, which no transaction appended", t, m.key, e)
					case w.typ == history.OpFail:
						a.add("G1a", "%s read key %d holding %s, appended by the failed %s", t, m.key, e, w)
					}
				}
				external := list[:len(list)-min(len(list), len(own[m.key]))]
				if n := len(external); n > 0 {
					e := external[n-1]
					if w, ok := appender[kv{m.key, e}]; ok {
						if w != t && !lastOf[kv{m.key, e}] {
							a.add("G1b", "%s read key %d ending at %s, an intermediate append of %s", t, m.key, e, w)
						}
						g.link(w, t, wr)
					}
				}
				reads[m.key] = append(reads[m.key], readOf{t, external})
				if len(list) > len(longest[m.key]) {
					longest[m.key] = list
				}
			}
		}
	}
	keys := make([]int, 0, len(longest))
	for k := range longest {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		order := longest[k]
		for _, r := range reads[k] {
			if strings.Join(order[:len(r.list)], ",") != strings.Join(r.list, ",") {
				a.add("incompatible-order", "key %d: %s read %v, not a prefix of %v", k, r.t, r.list, order)
			}
		}
		for i := 1; i < len(order); i++ {
			g.link(appender[kv{k, order[i-1]}], appender[kv{k, order[i]}], ww)
		}
		// a read that saw the first n elements is overwritten by whoever
		// appended element n+1
		for _, r := range reads[k] {
			if n := len(r.list); n < len(order) {
				g.link(r.t, appender[kv{k, order[n]}], rw)
			}
		}
	}
	return txnResult("txn-list-append", in, txns, a, g)
}

func sortedIntKeys[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
