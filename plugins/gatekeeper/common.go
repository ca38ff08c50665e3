package main

// opRequest is a client's request to the gatekeeper.
type opRequest struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	User   string `json:"user"`
	Op     string `json:"op"`
	Amount int64  `json:"amount"`
	TS     int64  `json:"ts"`
	MAC    string `json:"mac"`
}

// apply is a forward from the gatekeeper to the back end.
type apply struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	User   string `json:"user"`
	Op     string `json:"op"`
	Amount int64  `json:"amount"`
	Nonce  string `json:"nonce"`
	TS     int64  `json:"ts"`
	MAC    string `json:"mac"`
}
