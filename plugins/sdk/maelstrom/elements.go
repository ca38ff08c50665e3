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

// Members splits a JSON object into its keys and the raw JSON of their
// values, in the order they appear, without encoding/json: a kafka poll's
// {"k1": 3, "k2": 0} costs a fraction of json.Unmarshal in a wasm guest.
// It does not validate the values. ok is false if raw is not an object of
// well-bracketed values or a key has escapes (json.Unmarshal it then).
func Members(raw json.RawMessage) (keys []string, values []json.RawMessage, ok bool) {
	i := objectStart(raw, 0)
	if i < 0 || i >= len(raw) {
		return nil, nil, false
	}
	if raw[i] == '}' {
		return []string{}, []json.RawMessage{}, skipSpace(raw, i+1) == len(raw)
	}
	for {
		ks, ke, vs, ve, esc, ok := memberAt(raw, i)
		if !ok || esc {
			return nil, nil, false
		}
		keys, values = append(keys, string(raw[ks:ke])), append(values, raw[vs:ve:ve])
		var done bool
		if i, done = afterMember(raw, ve); i < 0 {
			return nil, nil, false
		} else if done {
			return keys, values, skipSpace(raw, i) == len(raw)
		}
	}
}
