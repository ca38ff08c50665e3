package yamlcheck

import (
	"encoding/json"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

var marshalerType = reflect.TypeFor[yaml.Marshaler]()

// Encode writes a schema struct as the YAML node yaml.Marshal would, with
// two differences that let the schema be the structs a program uses: a
// json.RawMessage is written as the value it holds (nothing for "{}"
// under omitempty), and a map's values are schema structs too.
func Encode(v any) (*yaml.Node, error) { return encode(reflect.ValueOf(v)) }

func encode(v reflect.Value) (*yaml.Node, error) {
	for v.Kind() == reflect.Pointer && !v.IsNil() && !v.Type().Implements(marshalerType) {
		v = v.Elem()
	}
	switch {
	case v.Type() == rawType:
		var x any
		if err := json.Unmarshal(v.Bytes(), &x); err != nil {
			return nil, err
		}
		return leaf(x)
	case v.Type().Implements(marshalerType):
	case v.Kind() == reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		return n, encodeFields(n, v)
	case v.Kind() == reflect.Slice && !scalar(v.Type()):
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range v.Len() {
			item, err := encode(v.Index(i))
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, item)
		}
		return n, nil
	case v.Kind() == reflect.Map:
		m := map[string]*yaml.Node{}
		for it := v.MapRange(); it.Next(); {
			item, err := encode(it.Value())
			if err != nil {
				return nil, err
			}
			m[it.Key().String()] = item
		}
		return leaf(m)
	}
	return leaf(v.Interface())
}

// encodeFields appends the struct v's fields to the mapping n.
func encodeFields(n *yaml.Node, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			if err := encodeFields(n, fv); err != nil {
				return err
			}
			continue
		}
		if !f.IsExported() || name == "" || name == "-" || (opts == "omitempty" && isZero(fv)) {
			continue
		}
		key, _ := leaf(name)
		val, err := encode(fv)
		if err != nil {
			return err
		}
		n.Content = append(n.Content, key, val)
	}
	return nil
}

// isZero is omitempty's test, as yaml.v3 makes it, with "{}" empty.
func isZero(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.String:
		return v.Len() == 0 || (v.Type() == rawType && string(v.Bytes()) == "{}")
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !isZero(v.Field(i)) {
				return false
			}
		}
		return true
	}
	return v.IsZero()
}

// leaf encodes x with yaml.v3 itself.
func leaf(x any) (*yaml.Node, error) {
	var n yaml.Node
	return &n, n.Encode(x)
}

// Replace sets the value of key in the mapping n, if it is there.
func Replace(n *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = value
		}
	}
}

// Value returns the value of key in the mapping n, or nil.
func Value(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
