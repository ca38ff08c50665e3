// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o valet.wasm ./plugins/valet

// Command valet is the Valet Key pattern as a Terrarium guest: one module,
// three roles (README.md tells the pattern).
//
// Role "keys" issues valet keys. It answers {"type":"grant","user","ts",
// "mac"} (mac: hex HMAC-SHA256 of "grant|user|ts" under the user's
// password) with {"type":"grant_ok","token","exp"}: base64url JSON claims
// {"sub","op":"put","prefix":"users/<user>/","exp"} and their Ed25519
// signature, exp by its own clock plus ttl_ms. Params: {"users":{...},
// "ttl_ms":200,"window_ms":1000}.
//
// Role "storage" holds the data and never sees a password: it applies
// {"type":"put","req","key","amount","token"} only with a token the key
// service signed (its public key from the host key service), for op put,
// with key under the token's prefix, and not expired by its own clock. It
// emits apply {"req","user","op":"put","amount","key","exp","from"}.
// Params: {"keys":"keys","check_scope":true,"expiry_clock":"own"}.
// check_scope false is the deliberately broken variant: any key is written
// with any valid token. expiry_clock "request" is the second: expiry is
// judged by the time a put says it was made ("ts", when it has one), the
// sender's clock, not storage's own.
//
// Role "attacker" records what a victim sends the storage node and, once
// a recorded token is older than delay_ms, puts its own value under the
// victim's prefix with it, sent straight to storage. Params: {"storage":
// "storage","victim":"c0","delay_ms":500,"every_ms":50,"backdate":false};
// with backdate its put says it was made ("ts") when the token was stolen.
package main

import (
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	switch n.Role() {
	case "keys":
		startKeys(n)
	case "attacker":
		startAttacker(n)
	default:
		startStorage(n)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
