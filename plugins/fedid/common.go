package main

import (
	"fmt"
)

// transfer is a user's request to the service.
type transfer struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	Token  string `json:"token"`
	Amount int64  `json:"amount"`
	TS     int64  `json:"ts"`
}

// debit is the service's authenticated message to the ledger.
type debit struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	User   string `json:"user"`
	Amount int64  `json:"amount"`
	Nonce  string `json:"nonce"`
	TS     int64  `json:"ts"`
	MAC    string `json:"mac"`
}

// claims are what a token says.
type claims struct {
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	// Kid names the provider's key that signed the token (0, its root
	// key, is left out).
	Kid int `json:"kid,omitempty"`
}

// announcement is what the provider's root key signs to vouch for its
// key kid.
func announcement(kid int, pub []byte) []byte { return fmt.Appendf(nil, "key|%d|%x", kid, pub) }
