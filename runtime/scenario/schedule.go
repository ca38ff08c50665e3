package scenario

import (
	"go.yaml.in/yaml/v3"

	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

// schedule reads the schedule: list, one decision a line.
func (p *parser) schedule(s *Scenario) {
	p.Each(&s.Schedule, "decisions", func(item *yaml.Node, field string) {
		d, err := schedule.Parse(item.Value)
		switch {
		case err != nil:
			p.Errorf(item, field, "%v", err)
		case d.Node != "" && s.Node(d.Node) == nil:
			p.Errorf(item, field, "%s: unknown node %q", d.Kind, d.Node)
		default:
			s.Schedule = append(s.Schedule, d)
		}
	})
}
