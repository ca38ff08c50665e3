package maelstrom

import "encoding/json"

// Reading a body's fields without encoding/json. Int, String and Ints look
// up one top-level member of the body by its exact key (the last one, if
// the key repeats, as encoding/json keeps the last) and read it with the
// SDK's scanner, which costs a fraction of json.Unmarshal in a wasm guest.
// A key or value the scanner is not sure about (escapes, a float where an
// int is asked for) falls back to encoding/json for that member, so the
// answer is always the one encoding/json would give.

// Int returns the body's integer field key; ok is false if the body has
// no such member or it is not an integer (null included).
func (m Message) Int(key string) (v int, ok bool) {
	raw, found := m.field(key)
	if !found || string(raw) == "null" {
		return 0, false
	}
	if v, ok = plainInt(raw); ok {
		return v, true
	}
	return v, json.Unmarshal(raw, &v) == nil
}

// String returns the body's string field key; ok is false if the body has
// no such member or it is not a string.
func (m Message) String(key string) (s string, ok bool) {
	raw, found := m.field(key)
	if !found {
		return "", false
	}
	if b, plain := plainStringBytes(raw); plain {
		return string(b), true
	}
	return s, json.Unmarshal(raw, &s) == nil && len(raw) > 0 && raw[0] == '"'
}

// Ints returns the body's field key, an array of integers; ok is false if
// the body has no such member or it is not an array of integers (null
// gives nil and true, as encoding/json does).
func (m Message) Ints(key string) (vs []int, ok bool) {
	raw, found := m.field(key)
	if !found {
		return nil, false
	}
	if vs, ok = plainInts(raw); ok {
		return vs, true
	}
	return vs, json.Unmarshal(raw, &vs) == nil
}

// Field returns the raw JSON of the body's field key, for encoding/json or
// anything else to decode.
func (m Message) Field(key string) (json.RawMessage, bool) { return m.field(key) }

// field finds the last top-level member key of the body.
func (m Message) field(key string) (raw json.RawMessage, found bool) {
	b := m.Body
	i := objectStart(b, 0)
	if i < 0 {
		return nil, false
	}
	if i < len(b) && b[i] == '}' {
		return nil, false
	}
	for {
		ks, ke, vs, ve, esc, ok := memberAt(b, i)
		if !ok {
			return m.fieldJSON(key)
		}
		if esc {
			return m.fieldJSON(key) // the key has escapes: let encoding/json read it
		}
		if string(b[ks:ke]) == key {
			raw, found = b[vs:ve], true
		}
		var done bool
		if i, done = afterMember(b, ve); i < 0 {
			return m.fieldJSON(key)
		} else if done {
			return raw, found
		}
	}
}

// fieldJSON is field through encoding/json, for bodies the scanner leaves
// alone.
func (m Message) fieldJSON(key string) (json.RawMessage, bool) {
	var all map[string]json.RawMessage
	if json.Unmarshal(m.Body, &all) != nil {
		return nil, false
	}
	raw, ok := all[key]
	return raw, ok
}

// plainInts decodes a JSON array of plain integers.
func plainInts(v []byte) ([]int, bool) {
	if string(v) == "null" {
		return nil, true
	}
	i := skipSpace(v, 0)
	if i >= len(v) || v[i] != '[' {
		return nil, false
	}
	out := []int{}
	i = skipSpace(v, i+1)
	if i < len(v) && v[i] == ']' {
		return out, skipSpace(v, i+1) == len(v)
	}
	for {
		j := i
		for j < len(v) && (v[j] == '-' || (v[j] >= '0' && v[j] <= '9')) {
			j++
		}
		n, ok := plainInt(v[i:j])
		if !ok {
			return nil, false
		}
		out = append(out, n)
		if i = skipSpace(v, j); i >= len(v) {
			return nil, false
		}
		switch v[i] {
		case ',':
			i = skipSpace(v, i+1)
		case ']':
			return out, skipSpace(v, i+1) == len(v)
		default:
			return nil, false
		}
	}
}
