package mcheck

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Defaults of the generators Maelstrom's transactional and kafka
// workloads share: Elle's wr-txns (src/elle/txn.clj in jepsen-io/elle, at
// the 2023 version Maelstrom's Jepsen 0.3.7 depends on) with Maelstrom's
// CLI defaults (src/maelstrom/core.clj, opt-spec: --max-txn-length 4,
// --max-writes-per-key 16; --key-count has no default, so wr-txns' 10
// for its exponential key distribution applies).
const (
	elleKeyCount        = 10
	elleMaxTxnLength    = 4
	elleMaxWritesPerKey = 16
	elleKeyDistBase     = 2.0
)

// keyPool is wr-txns' state: the active keys, and the next value to write
// to each key (values are unique per key: 1, 2, ...).
type keyPool struct {
	r               *rand.Rand
	active          []int
	next            map[int]int
	maxWritesPerKey int
	scale           float64
}

// newKeyPool starts with keys 0..keyCount-1, as wr-txns' initial state
// {:active-keys (vec (range key-count))}.
func newKeyPool(r *rand.Rand, keyCount, maxWritesPerKey int) *keyPool {
	p := &keyPool{r: r, next: map[int]int{}, maxWritesPerKey: maxWritesPerKey,
		// key-dist-scale: (base^key-count - 1) * base / (base - 1)
		scale: (math.Pow(elleKeyDistBase, float64(keyCount)) - 1) * elleKeyDistBase / (elleKeyDistBase - 1)}
	for k := range keyCount {
		p.active = append(p.active, k)
	}
	return p
}

// key is elle.txn/rand-key with :exponential: index
// floor(log_base(rand(scale) + base) - 1) of the active keys, so that key
// i is base^i times as likely as key 0.
func (p *keyPool) key() int {
	i := int(math.Floor(math.Log(p.r.Float64()*p.scale+elleKeyDistBase)/math.Log(elleKeyDistBase) - 1))
	return p.active[min(max(i, 0), len(p.active)-1)]
}

// mop draws one micro-op as wr-txns' inner loop does: f is "r" or "w"
// with even odds; a write takes the key's next value, and a key written
// max-writes-per-key times is replaced by a fresh one (elle.txn/fresh-key:
// one more than the largest active key) before drawing again.
func (p *keyPool) mop() (f string, k, v int) {
	for {
		f = [2]string{"r", "w"}[p.r.IntN(2)]
		k = p.key()
		if f == "r" {
			return f, k, 0
		}
		v = max(p.next[k], 1)
		if p.maxWritesPerKey < v {
			i := slices.Index(p.active, k)
			p.active[i] = slices.Max(p.active) + 1
			continue
		}
		p.next[k] = v + 1
		return f, k, v
	}
}

// txnLength is wr-txns' length: min-txn-length (1) plus a uniform draw up
// to max-txn-length.
func txnLength(r *rand.Rand, maxLen int) int { return 1 + r.IntN(maxLen) }
