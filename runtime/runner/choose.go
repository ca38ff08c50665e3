package runner

import (
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// choose sets the run's chooser: the options' (a search), else a replay
// of the scenario's schedule:, else none (the seed's own run).
func (r *Run) choose() {
	if r.opts.chooser != nil {
		r.chooser, r.choiceOpts = r.opts.chooser, r.opts.choiceOpts
		r.s.SetChooser(r.chooser, r.choiceOpts)
		return
	}
	if len(r.scn.Schedule) == 0 {
		return
	}
	var opts sim.ChoiceOptions
	for _, d := range r.scn.Schedule {
		opts.Faults = opts.Faults || d.Kind == schedule.Crash || d.Kind == schedule.Restart
	}
	r.chooser, r.choiceOpts = sim.Replay(r.scn.Schedule), opts
	r.s.SetChooser(r.chooser, r.choiceOpts)
}

// Due returns the events the run may dispatch next: those due at the next
// instant, in the loop's own order (sim.Sim.Due). Past the run's end, or
// once it has finished, there are none.
func (r *Run) Due() []sim.Option {
	if at, ok := r.s.Next(); r.result != nil || !ok || at > r.end {
		return nil
	}
	return r.s.Due()
}

// InFlight returns up to max messages on their way, the soonest first.
func (r *Run) InFlight(max int) []sim.InFlight { return r.s.InFlight(max) }

// StepPick dispatches the pick-th of the events Due lists instead of the
// loop's own first, and returns the decision that names the choice in a
// schedule (the zero Decision for pick 0, the loop's own order). A pick
// that Due does not list is an error and nothing runs.
func (r *Run) StepPick(pick int) (schedule.Decision, error) {
	due := r.Due()
	if pick < 0 || pick >= len(due) {
		return schedule.Decision{}, fmt.Errorf("runner: pick %d: %d events are due next (picks 0 to %d)", pick, len(due), len(due)-1)
	}
	d := due[pick].Decision
	if pick > 0 {
		r.s.SetChooser(pickOnce{d: d, next: r.chooser}, r.choiceOpts)
		defer r.s.SetChooser(r.chooser, r.choiceOpts)
	}
	_, err := r.Step()
	return d, err
}

// pickOnce takes decision d at its order point and leaves every other
// point to next (the run's own chooser, or the default).
type pickOnce struct {
	d    schedule.Decision
	next sim.Chooser
}

// Choose implements sim.Chooser.
func (c pickOnce) Choose(p sim.Point) int {
	if p.Kind == sim.PointOrder && p.Step == c.d.Step {
		for i, o := range p.Options {
			if o.Decision == c.d {
				return i
			}
		}
	}
	if c.next != nil {
		return c.next.Choose(p)
	}
	return 0
}
