package scenario

import (
	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

// schedule reads the schedule: list, one decision a line.
func (p *parser) schedule(s *Scenario, a *yc.At) {
	if !a.Set() {
		return
	}
	items, ok := p.Items(a, "decisions")
	if !ok {
		return
	}
	for i, item := range items {
		field := yc.Index("schedule", i)
		d, err := schedule.Parse(item.Value)
		switch {
		case err != nil:
			p.Errorf(item, field, "%v", err)
		case d.Node != "" && s.Node(d.Node) == nil:
			p.Errorf(item, field, "%s: unknown node %q", d.Kind, d.Node)
		default:
			s.Schedule = append(s.Schedule, d)
		}
	}
}
