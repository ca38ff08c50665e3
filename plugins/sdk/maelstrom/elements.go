package maelstrom

import "encoding/json"

// Elements splits a JSON array into the raw JSON of its elements, without
// encoding/json: a transaction's micro-ops ([["r",1,null],["w",2,3]]) and
// their parts cost a fraction of json.Unmarshal in a wasm guest. It does
// not validate the elements (json.Unmarshal them if unsure); ok is false
// if raw is not an array of well-bracketed values.
func Elements(raw json.RawMessage) (elems []json.RawMessage, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return []json.RawMessage{}, skipSpace(raw, i+1) == len(raw)
	}
	for i < len(raw) {
		end := valueEnd(raw, i)
		if end < 0 {
			return nil, false
		}
		elems = append(elems, raw[i:end:end])
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ']':
			return elems, skipSpace(raw, i+1) == len(raw)
		case ',':
			i = skipSpace(raw, i+1)
		default:
			return nil, false
		}
	}
	return nil, false
}
