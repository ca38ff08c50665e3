// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o fedid.wasm ./plugins/fedid

// Command fedid is Federated Identity with authenticated messaging as a
// Terrarium guest: one module, four roles (README.md tells the pattern).
//
// Role "idp" is the identity provider. It answers {"type":"login","user",
// "ts","mac"} (mac: hex HMAC-SHA256 of "login|user|ts" under the user's
// password, which never crosses the network) with {"type":"login_ok",
// "token","exp"}: a token "CLAIMS.SIG", base64url JSON claims {"sub","aud",
// "exp"} and their Ed25519 signature by the provider's own key (the host
// key service). Params: {"users":{"c0":"password"},"ttl_ms":1000,
// "audience":"bank","window_ms":1000,"rotate_at_ms":0}. From rotate_at_ms
// (when set) it signs with a second key instead, and its claims name it
// ("kid":1); it answers {"type":"keys","kid"} with {"type":"keys_ok",
// "kid","pub","sig"}, the key's public half signed by its own key.
//
// Role "service" trusts the provider, not the network: a {"type":
// "transfer","req","token","amount","ts"} is acted on only with a token
// the provider signed (checked with the provider's public key), for this
// audience, not expired, and a req not seen within window_ms (its replay
// window). It then sends the ledger {"type":"debit",...,"nonce","mac"},
// MAC'd with the key the two share, and relays the answer. Params:
// {"idp":"idp","ledger":"ledger","audience":"bank","window_ms":1000,
// "replay_window":true}. A token signed with a key it does not know yet
// is refused ("unknown signing key") and the service asks the provider
// for that key (at most every 100 ms), emitting key_learned {"kid"} when
// a signed answer arrives.
//
// Role "ledger" applies debits only from a known service, with a valid MAC
// and (with its replay window) a nonce not seen within window_ms; it emits
// apply {"req","user","op":"transfer","amount","from"}. Params:
// {"services":["bank"],"window_ms":1000,"replay_window":true}.
// replay_window false (service and ledger) is the deliberately broken
// variant: MACs and signatures are checked, but a replayed message is
// acted on again.
//
// Role "attacker" forges transfers in a user's name with a token it made
// up (it has no key to sign one) every every_ms, and replays the newest
// message it recorded on the service's links. Params: {"service":"bank",
// "ledger":"ledger","every_ms":100}.
package main

import (
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	switch n.Role() {
	case "idp":
		startIDP(n)
	case "ledger":
		startLedger(n)
	case "attacker":
		startAttacker(n)
	default:
		startService(n)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
