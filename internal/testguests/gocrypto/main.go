// Command gocrypto is a Go test and benchmark guest for the host key
// service (docs/ABI.md, "Keys"): it answers {"type":"crypto","op":OP,
// "n":N,"peer":P} by running OP N times with Go's own crypto packages in
// the guest, and replies {"type":"crypto_ok","sum":HEX} (the last result,
// hex). OP is "hmac" (HMAC-SHA256 of a 64-byte message under the key it
// shares with P), "sign" (Ed25519 over 64 bytes with its own key),
// "verify" (P's Ed25519 signature of 64 bytes, by P's public key) or
// "noop" (nothing: the message's own cost), "keys" (only the key host calls), or "host-hmac", "host-sign",
// "host-verify": the same with the host's crypto calls. A node that is refused a key replies
// {"type":"crypto_error","error":...}.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gocrypto.wasm .
package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type request struct {
	maelstrom.MessageBody
	Op   string `json:"op"`
	N    int    `json:"n"`
	Peer string `json:"peer"`
	Sig  string `json:"sig"`
}

func main() {
	n := maelstrom.NewNode()
	n.HandleInline("crypto", func(msg maelstrom.Message) error {
		var r request
		if err := json.Unmarshal(msg.Body, &r); err != nil {
			return err
		}
		sum, err := run(n, r)
		if err != nil {
			return n.Reply(msg, map[string]any{"type": "crypto_error", "error": err.Error()})
		}
		return n.Reply(msg, map[string]any{"type": "crypto_ok", "sum": hex.EncodeToString(sum)})
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

var message = make([]byte, 64)

func run(n *maelstrom.Node, r request) ([]byte, error) {
	var out []byte
	switch r.Op {
	case "hmac":
		k, err := maelstrom.KeysOf(n).SharedKey(r.Peer)
		if err != nil {
			return nil, err
		}
		for range r.N {
			m := hmac.New(sha256.New, k)
			m.Write(message)
			out = m.Sum(nil)
		}
	case "sign":
		secret, err := maelstrom.KeysOf(n).Secret()
		if err != nil {
			return nil, err
		}
		k := ed25519.NewKeyFromSeed(secret)
		for range r.N {
			out = ed25519.Sign(k, message)
		}
	case "verify":
		pub, err := maelstrom.KeysOf(n).PublicKey(r.Peer)
		if err != nil {
			return nil, err
		}
		sig, _ := hex.DecodeString(r.Sig)
		for range r.N {
			if ed25519.Verify(pub, message, sig) {
				out = []byte{1}
			} else {
				out = []byte{0}
			}
		}
	case "host-hmac", "host-sign", "host-verify":
		return runHost(n, r)
	case "noop":
		out = []byte{}
	case "keys":
		for range r.N {
			k, err := maelstrom.KeysOf(n).SharedKey(r.Peer)
			if err != nil {
				return nil, err
			}
			out = k
		}
	}
	return out, nil
}

// runHost is run with the host's crypto calls (hmac_sha256, ed25519_sign,
// ed25519_verify) in place of Go's packages.
func runHost(n *maelstrom.Node, r request) ([]byte, error) {
	keys := maelstrom.KeysOf(n)
	var out []byte
	var err error
	switch r.Op {
	case "host-hmac":
		k, err := keys.SharedKey(r.Peer)
		if err != nil {
			return nil, err
		}
		for range r.N {
			if out, err = maelstrom.HostHMAC(k, message); err != nil {
				return nil, err
			}
		}
	case "host-sign":
		for range r.N {
			if out, err = keys.Sign(message); err != nil {
				return nil, err
			}
		}
	case "host-verify":
		pub, err := keys.PublicKey(r.Peer)
		if err != nil {
			return nil, err
		}
		sig, _ := hex.DecodeString(r.Sig)
		for range r.N {
			ok, _ := maelstrom.HostVerify(pub, message, sig)
			out = []byte{0}
			if ok {
				out = []byte{1}
			}
		}
	}
	return out, nil
}
