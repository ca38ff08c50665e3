// Package netsim decides the fate of messages on the virtual network:
// whether a message is dropped, delivered, delivered twice, and after how
// much virtual time; and which links are cut by partitions.
//
// It holds no queue and no clock. The simulator asks it, for each message
// sent, what happens, passing the network's own seeded random stream, so
// that the answer is a pure function of the seed and the order of sends.
package netsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// Dist is a latency distribution, spelled as scenario files spell it.
type Dist string

// Latency distributions.
const (
	// DistDefault (a bare duration or {min, max} in a scenario) is uniform
	// in [Min, Max], which is constant when Min == Max.
	DistDefault Dist = ""
	// DistConstant is always Min.
	DistConstant Dist = "constant"
	// DistUniform is uniform in [Min, Max].
	DistUniform Dist = "uniform"
	// DistNormal is normal with Mean and Stddev, clamped to [Min, Max] when
	// they are set (Max 0: no upper clamp).
	DistNormal Dist = "normal"
	// DistExponential is Min plus an exponential with mean Mean, clamped
	// to Max when it is set.
	DistExponential Dist = "exponential"
)

// Dists lists the distributions a scenario may name.
var Dists = []Dist{DistConstant, DistUniform, DistNormal, DistExponential}

// ParseDist reads a distribution name.
func ParseDist(s string) (Dist, error) {
	if d := Dist(s); slices.Contains(Dists, d) {
		return d, nil
	}
	return "", fmt.Errorf("netsim: unknown latency distribution %q (known: constant, uniform, normal, exponential)", s)
}

// Latency is a delay distribution. Its yaml keys are a scenario's; a
// scenario may also write a bare duration, short for {min: d, max: d}
// (see MarshalYAML). The scenario parser reads the durations once Dist
// says which it needs (Dist.Params).
type Latency struct {
	// Dist is DistDefault, or one of Dists.
	Dist Dist          `yaml:"dist"`
	Min  time.Duration `yaml:"min" check:"manual" short:""`
	Max  time.Duration `yaml:"max" check:"manual"`
	// Mean and Stddev parameterise normal (both) and exponential (Mean).
	Mean   time.Duration `yaml:"mean" check:"manual"`
	Stddev time.Duration `yaml:"stddev" check:"manual"`
}

// Constant returns a constant latency.
func Constant(d time.Duration) Latency { return Latency{Dist: DistConstant, Min: d, Max: d} }

// Uniform returns a latency uniform in [min, max].
func Uniform(min, max time.Duration) Latency { return Latency{Dist: DistUniform, Min: min, Max: max} }

// Normal returns a normal latency, never below 0.
func Normal(mean, stddev time.Duration) Latency {
	return Latency{Dist: DistNormal, Mean: mean, Stddev: stddev}
}

// Exponential returns min plus an exponential delay with the given mean.
func Exponential(min, mean time.Duration) Latency {
	return Latency{Dist: DistExponential, Min: min, Mean: mean}
}

// Validate reports a latency that cannot be sampled.
func (l Latency) Validate() error {
	switch {
	case l.Min < 0 || l.Max < 0 || l.Mean < 0 || l.Stddev < 0:
		return fmt.Errorf("netsim: latency has a negative duration: %+v", l)
	case (l.Dist == DistUniform || l.Dist == DistConstant || l.Dist == DistDefault) && l.Max < l.Min:
		return fmt.Errorf("netsim: latency range [%v, %v] is invalid", l.Min, l.Max)
	case (l.Dist == DistNormal || l.Dist == DistExponential) && l.Max != 0 && l.Max < l.Min:
		return fmt.Errorf("netsim: latency clamp [%v, %v] is invalid", l.Min, l.Max)
	case l.Dist != DistDefault && !slices.Contains(Dists, l.Dist):
		return fmt.Errorf("netsim: unknown latency distribution %q", l.Dist)
	}
	return nil
}

// Params returns the yaml keys of the durations a latency of
// distribution d must give (DistDefault: uniform's).
func (d Dist) Params() []string {
	switch d {
	case DistConstant:
		return []string{"min"}
	case DistNormal:
		return []string{"mean", "stddev"}
	case DistExponential:
		return []string{"mean"}
	}
	return []string{"min", "max"}
}

// Check judges the field of l that key (its yaml key) names, once the
// fields it depends on are read, as a scenario spells a latency: dist
// must be one of Dists; max, checked once every duration is read, must
// not be less than min (where it bounds the distribution), and a
// constant latency's Max becomes its Min. The scenario parser places the
// problem at the field.
func (l *Latency) Check(key string) error {
	switch {
	case key == "dist" && !slices.Contains(Dists, l.Dist):
		return fmt.Errorf("unknown distribution %q (known: constant, uniform, normal, exponential)", l.Dist)
	case key != "max":
	case l.Dist == DistConstant:
		l.Max = l.Min
	case l.Min > l.Max && (l.Max != 0 || l.Dist == DistUniform || l.Dist == DistDefault):
		return fmt.Errorf("must not be less than min (%s), got %s", l.Min, l.Max)
	}
	return nil
}

// Spread is a rough scale of the distribution, used to size reordering.
func (l Latency) Spread() time.Duration {
	s := max(l.Max, l.Mean+2*l.Stddev, l.Min)
	if s <= 0 {
		s = time.Millisecond
	}
	return s
}

func (l Latency) sample(r *rand.Rand) int64 {
	var d float64
	switch l.Dist {
	case DistConstant:
		return int64(l.Min)
	case DistUniform, DistDefault:
		if l.Max <= l.Min {
			return int64(l.Min)
		}
		return int64(l.Min) + r.Int64N(int64(l.Max-l.Min)+1)
	case DistNormal:
		d = float64(l.Mean) + r.NormFloat64()*float64(l.Stddev)
	case DistExponential:
		d = float64(l.Min) + r.ExpFloat64()*float64(l.Mean)
	}
	d = math.Max(d, float64(l.Min))
	if l.Max > 0 {
		d = math.Min(d, float64(l.Max))
	}
	return int64(math.Round(d))
}

// Link is the behaviour of messages from one endpoint to another.
type Link struct {
	Latency Latency
	// Loss is the probability in [0, 1] that a message is dropped.
	Loss float64
	// Duplicate is the probability that a message is delivered twice
	// (the copy draws its own latency).
	Duplicate float64
	// Reorder is the probability that a message is held back by an extra
	// delay of up to twice the latency's spread, so later ones overtake it.
	Reorder float64
}

// Validate reports settings that make no sense.
func (l Link) Validate() error {
	if err := l.Latency.Validate(); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", l.Loss}, {"duplicate", l.Duplicate}, {"reorder", l.Reorder}} {
		if p.v < 0 || p.v > 1 || math.IsNaN(p.v) {
			return fmt.Errorf("netsim: %s %v is outside [0, 1]", p.name, p.v)
		}
	}
	return nil
}

// Network holds the default link, per-link overrides and partitions.
type Network struct {
	def   Link
	links map[[2]int32]Link
	cut   map[[2]int32]bool

	minLat   time.Duration // cached MinLatency, valid when !minDirty
	minDirty bool
}

// New returns a network in which every link behaves like def.
func New(def Link) (*Network, error) {
	if err := def.Validate(); err != nil {
		return nil, err
	}
	return &Network{def: def, links: map[[2]int32]Link{}, cut: map[[2]int32]bool{}, minDirty: true}, nil
}

// SetDefault replaces the default link.
func (n *Network) SetDefault(l Link) error {
	if err := l.Validate(); err != nil {
		return err
	}
	n.def = l
	n.minDirty = true
	return nil
}

// Default returns the default link.
func (n *Network) Default() Link { return n.def }

// SetLink overrides the link from one endpoint index to another.
func (n *Network) SetLink(from, to int32, l Link) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("link %d->%d: %w", from, to, err)
	}
	n.links[[2]int32{from, to}] = l
	n.minDirty = true
	return nil
}

// ClearLink removes an override.
func (n *Network) ClearLink(from, to int32) {
	delete(n.links, [2]int32{from, to})
	n.minDirty = true
}

// MinLatency returns the smallest delay any message can have on the network
// as it is set now: the least Latency.Min of the default link and every
// override. Every distribution samples at or above its Min, and reordering,
// duplicates and partitions only add delay or lose messages. It is the
// simulator's lookahead: a message sent at t lands at t+MinLatency or later.
func (n *Network) MinLatency() time.Duration {
	if n.minDirty {
		m := n.def.Latency.Min
		for _, l := range n.links {
			m = min(m, l.Latency.Min)
		}
		n.minLat, n.minDirty = m, false
	}
	return n.minLat
}

// Link returns the settings in force from one endpoint to another.
func (n *Network) Link(from, to int32) Link {
	if l, ok := n.links[[2]int32{from, to}]; ok {
		return l
	}
	return n.def
}

// Partition cuts every link between a and b, both ways.
func (n *Network) Partition(a, b []int32) {
	n.PartitionOneWay(a, b)
	n.PartitionOneWay(b, a)
}

// PartitionOneWay cuts every link from an endpoint in from to one in to:
// messages from→to are lost while to→from still arrive.
func (n *Network) PartitionOneWay(from, to []int32) {
	for _, f := range from {
		for _, t := range to {
			if f != t {
				n.cut[[2]int32{f, t}] = true
			}
		}
	}
}

// Repair heals every partition.
func (n *Network) Repair() { clear(n.cut) }

// Cut reports whether the link from→to is cut by a partition.
func (n *Network) Cut(from, to int32) bool { return len(n.cut) > 0 && n.cut[[2]int32{from, to}] }

// Cuts returns the cut links, sorted.
func (n *Network) Cuts() [][2]int32 {
	out := make([][2]int32, 0, len(n.cut))
	for k := range n.cut {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i][0] < out[j][0] || out[i][0] == out[j][0] && out[i][1] < out[j][1]
	})
	return out
}

// Fate is the network's decision about one message.
type Fate struct {
	// Dropped is true when the message is lost (Reason says why).
	Dropped bool
	Reason  string
	// Delays are the delivery delays: one, or two for a duplicate.
	Delays []int64
	// Reordered is true when an extra delay was added.
	Reordered bool
}

// Fate decides one message. It draws from r in a fixed order (loss,
// latency, reorder, duplicate, the duplicate's latency), and only for the
// features the link has enabled.
func (n *Network) Fate(from, to int32, r *rand.Rand) Fate {
	l := n.Link(from, to)
	if l.Loss > 0 && r.Float64() < l.Loss {
		return Fate{Dropped: true, Reason: "loss"}
	}
	f := Fate{Delays: []int64{l.Latency.sample(r)}}
	if l.Reorder > 0 && r.Float64() < l.Reorder {
		f.Delays[0] += r.Int64N(2*int64(l.Latency.Spread()) + 1)
		f.Reordered = true
	}
	if l.Duplicate > 0 && r.Float64() < l.Duplicate {
		f.Delays = append(f.Delays, l.Latency.sample(r))
	}
	return f
}
