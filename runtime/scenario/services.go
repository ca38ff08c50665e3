package scenario

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ServiceNames lists the host-side services a scenario may ask for under
// services:, by their Maelstrom names.
var ServiceNames = []string{"lin-kv", "lin-tso", "lww-kv", "seq-kv"}

// services parses the services: list: known service names, each once, none
// the name of a node.
func (p *parser) services(s *Scenario, n *yaml.Node) {
	if n == nil {
		return
	}
	list, ok := p.stringList(n, "services", "service")
	if !ok {
		return
	}
	items := deref(n).Content
	for i, name := range list {
		field := index("services", i)
		if !slices.Contains(ServiceNames, name) {
			p.errorf(items[i], field, "unknown service %q (known: %s)", name, strings.Join(ServiceNames, ", "))
			continue
		}
		if s.Node(name) != nil {
			p.errorf(items[i], field, "service %q has the name of a node", name)
			continue
		}
		s.Services = append(s.Services, name)
	}
}
