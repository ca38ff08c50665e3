package runner

import (
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// choose sets the run's chooser: the options' (a search), else a replay
// of the scenario's schedule:, else none (the seed's own run).
func (r *Run) choose() {
	if r.opts.chooser != nil {
		r.s.SetChooser(r.opts.chooser, r.opts.choiceOpts)
		return
	}
	if len(r.scn.Schedule) == 0 {
		return
	}
	var opts sim.ChoiceOptions
	for _, d := range r.scn.Schedule {
		opts.Faults = opts.Faults || d.Kind == schedule.Crash || d.Kind == schedule.Restart
	}
	r.s.SetChooser(sim.Replay(r.scn.Schedule), opts)
}
