package maelstrom

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/terrarium-sim/terrarium/internal/jsonstr"
)

// A reflection-free encoder for the values handlers send most: maps with
// string keys, slices, strings, numbers, booleans and nil. encoding/json
// takes microseconds per call in a Go wasm guest (reflection, and a call
// per value through its encoder cache); this is a few plain loops. Its
// output is byte for byte what json.Marshal writes, so that a program's
// messages, and a run's digest, do not depend on which path encoded them:
// keys sorted, HTML characters and U+2028/U+2029 escaped, floats in the
// same format. Anything else (structs, pointers, json.Marshaler, NaN)
// reports ok false and the caller uses encoding/json for the whole value.

// appendValue appends the JSON encoding of v to dst.
func appendValue(dst []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return appendString(dst, x), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), true
	case uint64:
		return strconv.AppendUint(dst, x, 10), true
	case float64:
		return appendFloat(dst, x)
	case map[string]any:
		return appendMap(dst, x)
	case []any:
		return appendList(dst, x, appendValue)
	case []int:
		return appendList(dst, x, func(b []byte, e int) ([]byte, bool) { return strconv.AppendInt(b, int64(e), 10), true })
	case []string:
		return appendList(dst, x, func(b []byte, e string) ([]byte, bool) { return appendString(b, e), true })
	}
	return dst, false
}

// appendList appends xs as a JSON array (null when nil), each element by
// elem.
func appendList[T any](dst []byte, xs []T, elem func([]byte, T) ([]byte, bool)) (_ []byte, ok bool) {
	if xs == nil {
		return append(dst, "null"...), true
	}
	dst = append(dst, '[')
	for i, e := range xs {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, ok = elem(dst, e); !ok {
			return dst, false
		}
	}
	return append(dst, ']'), true
}

// appendMap appends m as a JSON object with its keys in byte order.
func appendMap(dst []byte, m map[string]any) (_ []byte, ok bool) {
	if m == nil {
		return append(dst, "null"...), true
	}
	type member struct {
		k string
		v any
	}
	var small [8]member
	members := small[:0]
	for k, v := range m {
		members = append(members, member{k, v})
	}
	if len(members) > 1 {
		slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.k, b.k) })
	}
	dst = append(dst, '{')
	for i, mb := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, mb.k)
		dst = append(dst, ':')
		if dst, ok = appendValue(dst, mb.v); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}

// appendFloat formats f as encoding/json does: the shortest decimal that
// reads back as f, with an exponent only below 1e-6 or from 1e21 up.
func appendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// appendString appends s as a JSON string, as encoding/json writes it.
func appendString(dst []byte, s string) []byte { return jsonstr.Append(dst, s) }
