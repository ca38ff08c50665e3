package scenario

import (
	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

// schedule reads the schedule: list, one decision a line.
func (p *parser) schedule(s *Scenario, l yc.List) {
	if !p.Get(&l) {
		return
	}
	for i, line := range l.V {
		item, field := l.Node.Content[i], yc.Index("schedule", i)
		d, err := schedule.Parse(line)
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
