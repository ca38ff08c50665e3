package sweep

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxSeeds bounds the number of seeds in one seed list. A sweep keeps one
// result per seed in memory and in sweep.json.
const MaxSeeds = 10_000_000

// Range is the seeds First..Last, both included.
type Range struct{ First, Last uint64 }

func (r Range) len() uint64 { return r.Last - r.First + 1 }

func (r Range) String() string {
	if r.First == r.Last {
		return strconv.FormatUint(r.First, 10)
	}
	return fmt.Sprintf("%d..%d", r.First, r.Last)
}

// Seeds is an ordered list of distinct seeds, written as comma-separated
// parts, each a seed ("5") or an inclusive range ("1..1000"). The zero value
// is the empty list. It marshals to and from its text form.
type Seeds struct {
	ranges []Range
	n      int
}

// ParseSeeds parses a seed list such as "1..1000", "5", "1,2,9" or
// "1..10,20..30". Seeds keep the order they are written in; a seed may not
// appear twice. Errors name the offending part.
func ParseSeeds(s string) (Seeds, error) {
	if strings.TrimSpace(s) == "" {
		return Seeds{}, fmt.Errorf("seeds: empty list (want e.g. 1..1000, 5 or 1,2,9)")
	}
	var out Seeds
	total := uint64(0)
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return Seeds{}, fmt.Errorf("seeds %q: part %d is empty", s, i+1)
		}
		r, err := parseRange(part)
		if err != nil {
			return Seeds{}, fmt.Errorf("seeds %q: part %q: %w", s, part, err)
		}
		if n := r.len(); n == 0 || n > MaxSeeds-total { // n == 0: 0..2^64-1 wrapped
			return Seeds{}, fmt.Errorf("seeds %q: part %q: more than %d seeds in all", s, part, MaxSeeds)
		}
		total += r.len()
		out.ranges = append(out.ranges, r)
	}
	// Two parts overlap iff they are neighbours in the order of their first
	// seeds and overlap there.
	order := make([]int, len(out.ranges))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(out.ranges[a].First, out.ranges[b].First) })
	for k := 1; k < len(order); k++ {
		a, b := out.ranges[order[k-1]], out.ranges[order[k]]
		if b.First <= a.Last {
			if order[k] < order[k-1] {
				a, b = b, a
			}
			return Seeds{}, fmt.Errorf("seeds %q: part %q repeats seeds of part %q", s, b, a)
		}
	}
	out.n = int(total)
	return out, nil
}

func parseRange(part string) (Range, error) {
	num := func(t string) (uint64, error) {
		t = strings.TrimSpace(t)
		v, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a seed (want a whole number from 0 to %d)", t, uint64(1<<64-1))
		}
		return v, nil
	}
	first, last, isRange := strings.Cut(part, "..")
	a, err := num(first)
	if err != nil {
		return Range{}, err
	}
	if !isRange {
		return Range{a, a}, nil
	}
	b, err := num(last)
	if err != nil {
		return Range{}, err
	}
	if b < a {
		return Range{}, fmt.Errorf("range ends (%d) before it starts (%d)", b, a)
	}
	return Range{a, b}, nil
}

// seedsOf returns the seeds of list, which must be distinct, in list order,
// with runs of consecutive seeds written as ranges.
func seedsOf(list []uint64) Seeds {
	var s Seeds
	for _, v := range list {
		if k := len(s.ranges) - 1; k >= 0 && s.ranges[k].Last != ^uint64(0) && s.ranges[k].Last+1 == v {
			s.ranges[k].Last = v
		} else {
			s.ranges = append(s.ranges, Range{v, v})
		}
	}
	s.n = len(list)
	return s
}

// String returns the canonical text form: parts in order, separated by
// commas; "" for the empty list.
func (s Seeds) String() string {
	parts := make([]string, len(s.ranges))
	for i, r := range s.ranges {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// Len returns the number of seeds.
func (s Seeds) Len() int { return s.n }

// Ranges returns the parts as ranges, in order.
func (s Seeds) Ranges() []Range { return slices.Clone(s.ranges) }

// At returns the seed at position p, 0 <= p < Len().
func (s Seeds) At(p int) uint64 {
	for _, r := range s.ranges {
		if uint64(p) < r.len() {
			return r.First + uint64(p)
		}
		p -= int(r.len())
	}
	panic(fmt.Sprintf("sweep: seed position %d out of range (%d seeds)", p, s.n))
}

// List returns every seed, in order.
func (s Seeds) List() []uint64 {
	out := make([]uint64, 0, s.n)
	for _, r := range s.ranges {
		for v := r.First; ; v++ {
			out = append(out, v)
			if v == r.Last {
				break
			}
		}
	}
	return out
}

// Contains reports whether seed is in the list.
func (s Seeds) Contains(seed uint64) bool {
	for _, r := range s.ranges {
		if r.First <= seed && seed <= r.Last {
			return true
		}
	}
	return false
}

// MarshalText returns the canonical text form.
func (s Seeds) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a seed list; the empty text is the empty list.
func (s *Seeds) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = Seeds{}
		return nil
	}
	v, err := ParseSeeds(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Shard selects part Index of Count of a seed list: the seeds at the
// positions p with p % Count == Index. The zero value (Count 0) selects
// every seed.
type Shard struct{ Index, Count int }

// ParseShard parses "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want i/n, e.g. 0/4 (i counts from 0)", s)
	}
	i, err := strconv.Atoi(strings.TrimSpace(is))
	if err != nil {
		return Shard{}, fmt.Errorf("shard %q: index %q is not a whole number", s, is)
	}
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if err != nil {
		return Shard{}, fmt.Errorf("shard %q: count %q is not a whole number", s, ns)
	}
	if n < 1 {
		return Shard{}, fmt.Errorf("shard %q: count %d must be at least 1", s, n)
	}
	if i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: index %d must be from 0 to %d (indices count from 0)", s, i, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

// IsZero reports whether the shard is the zero value, the whole list.
func (sh Shard) IsZero() bool { return sh == Shard{} }

// String returns "i/n", or "" for the zero value.
func (sh Shard) String() string {
	if sh.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d/%d", sh.Index, sh.Count)
}

// Select returns the shard's seeds of all, in list order; every seed if
// Count is below 1.
func (sh Shard) Select(all Seeds) []uint64 {
	if sh.Count < 1 {
		return all.List()
	}
	var out []uint64
	p := 0
	for _, r := range all.ranges {
		for v := r.First; ; v++ {
			if p%sh.Count == sh.Index {
				out = append(out, v)
			}
			p++
			if v == r.Last {
				break
			}
		}
	}
	return out
}

// MarshalText returns "i/n".
func (sh Shard) MarshalText() ([]byte, error) { return []byte(sh.String()), nil }

// UnmarshalText parses "i/n"; the empty text is the zero value.
func (sh *Shard) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*sh = Shard{}
		return nil
	}
	v, err := ParseShard(string(b))
	if err != nil {
		return err
	}
	*sh = v
	return nil
}
