// Package netsim decides the fate of messages on the virtual network:
// whether a message is delivered and after how much virtual time.
//
// It holds no queue and no clock. The simulator asks it, for each message
// sent, what happens, passing the network's own seeded random stream, so
// that the answer is a pure function of the seed and the order of sends.
package netsim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Latency is a delay distribution. Min == Max is a constant delay; otherwise
// the delay is uniform in [Min, Max].
type Latency struct {
	Min, Max time.Duration
}

// Constant returns a constant latency.
func Constant(d time.Duration) Latency { return Latency{Min: d, Max: d} }

// Uniform returns a latency uniform in [min, max].
func Uniform(min, max time.Duration) Latency { return Latency{Min: min, Max: max} }

// Validate reports a latency that cannot be sampled.
func (l Latency) Validate() error {
	if l.Min < 0 || l.Max < l.Min {
		return fmt.Errorf("netsim: latency range [%v, %v] is invalid", l.Min, l.Max)
	}
	return nil
}

func (l Latency) sample(r *rand.Rand) int64 {
	if l.Max <= l.Min {
		return int64(l.Min)
	}
	return int64(l.Min) + r.Int64N(int64(l.Max-l.Min)+1)
}

// Link is the behaviour of messages from one node to another.
type Link struct {
	Latency Latency
	// Loss is the probability in [0, 1] that a message is dropped.
	Loss float64
}

// Validate reports settings that make no sense.
func (l Link) Validate() error {
	if err := l.Latency.Validate(); err != nil {
		return err
	}
	if l.Loss < 0 || l.Loss > 1 {
		return fmt.Errorf("netsim: loss %v is outside [0, 1]", l.Loss)
	}
	return nil
}

// Network holds the default link and per-link overrides.
type Network struct {
	def   Link
	links map[[2]int32]Link
}

// New returns a network in which every link behaves like def.
func New(def Link) (*Network, error) {
	if err := def.Validate(); err != nil {
		return nil, err
	}
	return &Network{def: def, links: map[[2]int32]Link{}}, nil
}

// SetLink overrides the link from one endpoint index to another.
func (n *Network) SetLink(from, to int32, l Link) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("link %d->%d: %w", from, to, err)
	}
	n.links[[2]int32{from, to}] = l
	return nil
}

// Link returns the settings in force from one endpoint to another.
func (n *Network) Link(from, to int32) Link {
	if l, ok := n.links[[2]int32{from, to}]; ok {
		return l
	}
	return n.def
}

// Fate decides one message: dropped, or delivered after delay nanoseconds.
// It draws from r in a fixed order (loss first, then latency) so that the
// stream's use depends only on the link settings.
func (n *Network) Fate(from, to int32, r *rand.Rand) (delay int64, dropped bool) {
	l := n.Link(from, to)
	if l.Loss > 0 && r.Float64() < l.Loss {
		return 0, true
	}
	return l.Latency.sample(r), false
}
