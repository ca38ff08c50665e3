// Command txn is our solution to Maelstrom's txn-rw-register and
// txn-list-append workloads, a Terrarium guest built on the lin-kv
// service, in the manner of Maelstrom's Datomic chapter: the whole
// database is one JSON map stored under one lin-kv key. A transaction
// reads the map, runs its micro-ops on a copy (["r",k,null] fills in the
// value; ["w",k,v] sets it; ["append",k,v] appends to its list) and
// installs the copy with compare-and-swap from the map it read; if another
// transaction got there first it starts again. A read-only transaction
// installs nothing. Every transaction is thus serializable, which rules
// out every read-committed anomaly.
//
// Params {"broken": true} make a deliberately broken variant that writes
// each micro-op to lin-kv as it goes and then aborts every transaction
// whose first written value is divisible by 3 (txn-conflict, error 30)
// without undoing its writes: other transactions read what an aborted one
// wrote, an aborted read (G1a).
package main

import (
	"context"
	"encoding/json"
	"log"
	"strconv"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

const root = "root"

// attempts bounds a transaction's compare-and-swap retries.
const attempts = 20

func main() {
	n := maelstrom.NewNode()
	var p struct {
		Broken bool `json:"broken"`
	}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	kv := maelstrom.NewLinKV(n)
	n.Handle("txn", func(msg maelstrom.Message) error {
		var b struct {
			Txn [][3]any `json:"txn"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
		defer cancel()
		for range attempts {
			db := map[string]any{}
			err := kv.ReadInto(ctx, root, &db)
			created := maelstrom.ErrorCode(err) == maelstrom.KeyDoesNotExist
			if err != nil && !created {
				return maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, err.Error())
			}
			before := copyMap(db)
			out, wrote, firstWrite := apply(db, b.Txn)
			if p.Broken && wrote {
				// write as we go and maybe abort: what an aborted
				// transaction wrote stays visible
				if err := kv.Write(ctx, root, db); err != nil {
					return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
				}
				if v, ok := firstWrite.(float64); ok && int(v)%3 == 0 {
					return maelstrom.NewRPCError(maelstrom.TxnConflict, "aborted")
				}
				return n.Reply(msg, map[string]any{"type": "txn_ok", "txn": out})
			}
			if wrote {
				var from any = before
				err := kv.CompareAndSwap(ctx, root, from, db, created)
				if maelstrom.ErrorCode(err) == maelstrom.PreconditionFailed {
					continue
				}
				if err != nil {
					return maelstrom.NewRPCError(maelstrom.Crash, err.Error()) // it may have been installed
				}
			}
			return n.Reply(msg, map[string]any{"type": "txn_ok", "txn": out})
		}
		return maelstrom.NewRPCError(maelstrom.TxnConflict, "too much contention")
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// apply runs the micro-ops on db and returns them completed, whether any
// wrote, and the first value written.
func apply(db map[string]any, txn [][3]any) (out [][3]any, wrote bool, first any) {
	out = make([][3]any, len(txn))
	for i, m := range txn {
		f, _ := m[0].(string)
		k := key(m[1])
		switch f {
		case "r":
			v := db[k]
			if l, ok := v.([]any); ok {
				v = append([]any(nil), l...)
			}
			out[i] = [3]any{f, m[1], v}
			continue
		case "w":
			db[k] = m[2]
		case "append":
			l, _ := db[k].([]any)
			db[k] = append(append([]any(nil), l...), m[2])
		}
		if !wrote {
			first = m[2]
		}
		wrote = true
		out[i] = m
	}
	return out, wrote, first
}

func key(k any) string {
	if f, ok := k.(float64); ok {
		return strconv.Itoa(int(f))
	}
	b, _ := json.Marshal(k)
	return string(b)
}

func copyMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
