package yamlcheck

import (
	"bytes"
	"errors"
	"io"

	"go.yaml.in/yaml/v3"
)

// Doc says what a document holds, for Document's messages.
type Doc struct {
	Noun     string // what the file is ("scenario")
	Empty    string // the message for an empty document
	MaxNodes int    // the bound on its nodes with every alias expanded
	MaxName  string // the constant MaxNodes is
}

// Document decodes data's single YAML document and returns its root node,
// or nil after recording why there is none: a syntax error, an empty
// document, aliases that expand it past d.MaxNodes (AliasPast), or a
// second document.
func (c *Checker) Document(data []byte, d Doc) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.Add(Problem{Line: 1, Column: 1, Msg: d.Empty})
		} else {
			c.Add(Syntax(err, data))
		}
		return nil
	}
	var root *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root != nil {
		if at := AliasPast(root, d.MaxNodes); at != nil {
			c.Errorf(at, "", "aliases expand the %s to more than %d YAML nodes (%s); alias *%s is where it passes that", d.Noun, d.MaxNodes, d.MaxName, at.Value)
			return nil
		}
	}
	if IsNull(root) {
		c.Add(Problem{Line: max(doc.Line, 1), Column: max(doc.Column, 1), Msg: d.Empty})
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		at := &next
		if len(next.Content) > 0 {
			at = next.Content[0]
		}
		c.Errorf(at, "", "a %s file holds one YAML document; found another", d.Noun)
		return nil
	case !errors.Is(err, io.EOF):
		c.Add(Syntax(err, data))
		return nil
	}
	return root
}
