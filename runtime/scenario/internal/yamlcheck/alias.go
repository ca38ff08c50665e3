package yamlcheck

import "go.yaml.in/yaml/v3"

// AliasPast returns the alias at which the tree under root, with every
// alias expanded, grows past max nodes, counting in document order (root
// itself if none); nil if it stays within max. A reader that follows
// aliases wherever they are used walks the expanded tree, so without such
// a bound a few nested aliases in a small file make it walk (and report
// on) billions of nodes. yaml/v3 bounds alias expansion only when decoding
// into Go values (decode.go, allowedAliasRatio), not into a yaml.Node tree.
func AliasPast(root *yaml.Node, max int) *yaml.Node {
	sizes := map[*yaml.Node]int{}
	open := map[*yaml.Node]bool{}
	var size func(n *yaml.Node) int
	size = func(n *yaml.Node) int {
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil || open[n.Alias] {
				return 1 // recursive: reported where the value is read
			}
			return min(1+size(n.Alias), max+1)
		}
		if v, ok := sizes[n]; ok {
			return v
		}
		open[n] = true
		total := 1
		for _, c := range n.Content {
			total = min(total+size(c), max+1)
		}
		delete(open, n)
		sizes[n] = total
		return total
	}
	if size(root) <= max {
		return nil
	}
	count := 0
	var at *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if at != nil {
			return
		}
		if n.Kind == yaml.AliasNode {
			if count += size(n); count > max {
				at = n
			}
			return
		}
		count++
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if at == nil {
		at = root
	}
	return at
}
