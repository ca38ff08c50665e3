// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gatekeeper.wasm ./plugins/gatekeeper

// Command gatekeeper is the Gatekeeper pattern as a Terrarium guest: one
// module with three roles (README.md tells the pattern).
//
// Role "gatekeeper" is the hardened front. A client request
// {"type":"op","req","user","op":"deposit"|"withdraw","amount","ts","mac"}
// is validated (known operation, 1 <= amount <= max_amount), authenticated
// (mac is hex HMAC-SHA256 of "req|user|op|amount|ts" under the user's
// password, which never crosses the network), checked for freshness (ts
// within window_ms of the gatekeeper's clock, req not seen in that window:
// a replayed request is refused) and rate-limited per user (rate requests
// a second, token bucket). What passes is forwarded to the back end as
// {"type":"apply",...,"nonce","mac"} MAC'd with the key the two share
// (the host key service), and the back end's answer is relayed. Params:
// {"backend":"backend","users":{"c0":"password",...},"rate":20,
// "max_amount":1000,"window_ms":1000}. Replies: op_ok {"balance"} or
// op_denied {"reason"}.
//
// Role "backend" is the trusted store of balances. It applies an apply
// only from a gatekeeper it knows, with a valid MAC, and a nonce it has
// not seen within window_ms (a replayed forward is refused); it emits
// apply {"req","user","op","amount","balance"} for each applied operation.
// Params: {"gatekeepers":["gk"],"verify":true,"window_ms":1000}. verify
// false is the deliberately broken variant: the back end accepts any
// apply, from anyone, as it comes (direct requests, forgeries, replays).
//
// Role "attacker" (docs/ABI.md, "Attacker") goes around the gatekeeper:
// every every_ms it sends an apply straight to the back end, forges one
// in the gatekeeper's name, and replays the newest forward it recorded on
// the gatekeeper's link to the back end. Params: {"backend":"backend",
// "gatekeeper":"gk","every_ms":100,"amount":1000000}.
package main

import (
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	switch n.Role() {
	case "backend":
		startBackend(n)
	case "attacker":
		startAttacker(n)
	default:
		startGatekeeper(n)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
