package main

// put is a client's (or anyone's) write to the storage node.
type put struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	Key    string `json:"key"`
	Amount int64  `json:"amount"`
	Token  string `json:"token"`
	// TS, if set, is when the sender says it made the put (its clock).
	TS int64 `json:"ts,omitempty"`
}

// claims are what a valet key says: who, what it may do where, until when
// (by the key service's clock).
type claims struct {
	Sub    string `json:"sub"`
	Op     string `json:"op"`
	Prefix string `json:"prefix"`
	Exp    int64  `json:"exp"`
}
