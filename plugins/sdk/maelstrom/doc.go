// Package maelstrom is Terrarium's Go guest SDK. It is shaped like Jepsen
// Maelstrom's Go library (github.com/jepsen-io/maelstrom/demo/go), so a
// Maelstrom program ports by changing its import line, and it adds what
// Terrarium offers: a durable per-node KV store, structured events, log
// levels, the virtual clock, the node's role and params, and restarts.
//
// A node (an echo server):
//
//	package main
//
//	import (
//		"encoding/json"
//		"log"
//
//		maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
//	)
//
//	func main() {
//		n := maelstrom.NewNode()
//		n.HandleInline("echo", func(msg maelstrom.Message) error {
//			var body map[string]any
//			if err := json.Unmarshal(msg.Body, &body); err != nil {
//				return err
//			}
//			body["type"] = "echo_ok"
//			return n.Reply(msg, body)
//		})
//		if err := n.Run(); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o echo.wasm .
//
// # How it runs
//
// The module implements Terrarium's guest ABI v1 (docs/ABI.md). on_init
// applies the init document (ID, NodeIDs, Role, Params and Restarted are
// set before main runs), then starts main in a goroutine and returns when
// main has blocked in Run and every other goroutine is blocked too: the
// node's idle point. Run never returns on wasip1; outside wasip1 it
// returns an error (the package builds on any platform so that its logic
// can be tested, but only runs inside Terrarium).
//
// on_message decodes the envelope {"src","dest","body"}. A reply (its
// in_reply_to names a pending RPC) goes to its RPC callback, run in a new
// goroutine, or wakes the SyncRPC waiting for it. Any other message runs
// the handler for its type: a Handle handler in its own goroutine, as
// Maelstrom does, after which the call waits for the idle point; a
// HandleInline handler inline, after which the call returns at once (see
// HandleInline for its contract). A message of a type with no handler
// stops the node, as upstream's library stops (its Run returns "No handler
// for ..."): the node crashes with the reason `maelstrom: no handler for
// message type "TYPE": MESSAGE`. A handler that panics crashes the node
// with `panic in handler for "TYPE": ...`, Go's message and where it
// panicked (docs/ABI.md, "Crash reasons"). Replies with no callback are
// ignored. Message.RPCError follows upstream too: a body with a non-zero
// "code" is an error, whatever its "type". A handler's
// error is sent back as an error reply: an *RPCError as it is, any other
// error as code 13 (crash).
//
// # Virtual time
//
// The Go runtime's clock is the node's virtual clock, so time.Sleep,
// time.NewTicker, time.AfterFunc, time.After and context deadlines simply
// work, deterministically: the host never moves the clock during a call,
// and when every goroutine is blocked the runtime tells the host when its
// next timer is due (the idle point); the host calls on_wake then. A
// ticker started in main before Run fires at exactly +d, +2d, ... after
// the node starts. Start timers and goroutines from main or from Handle
// handlers, not from HandleInline handlers. Periodic work that never
// blocks (gossip, retries) is cheaper with Node.TickInline: a host timer
// (timer_set) runs it inside the host's on_timer call, with no goroutine
// woken. The SDK sets no other host timers. Node.Now is the virtual time since the
// start of the run (time.Now is the same instant plus a fixed epoch).
//
// # Costs
//
// encoding/json is slow in a Go wasm guest (microseconds for a small
// message, tens for a struct), so the SDK reads envelopes and the reserved
// body fields with its own scanner and writes its own JSON. Bodies of
// map[string]any, []any, []int, []string, strings, numbers and booleans
// are encoded without reflection, byte for byte as json.Marshal would;
// structs go through encoding/json. Message.Int, String, Ints and Field
// read one field of a body without decoding the rest. A json.RawMessage
// body is sent as it is.
//
// A goroutine switch costs microseconds in Go's wasm port (the Wasm stack
// is unwound and rewound), and a Handle handler costs at least two of them
// plus the idle point; a HandleInline handler none. `make profile` in the
// repository measures each step.
package maelstrom
