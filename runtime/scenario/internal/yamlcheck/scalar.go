package yamlcheck

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Str returns the string scalar n.
func (c *Checker) Str(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		hint := ""
		if n.Kind == yaml.ScalarNode && !IsNull(n) {
			hint = " (quote it to make it a string)"
		}
		c.Errorf(n, field, "expected a string, got %s%s", Describe(n), hint)
		return "", false
	}
	return n.Value, true
}

// NonEmpty returns the non-empty string scalar n.
func (c *Checker) NonEmpty(n *yaml.Node, field string) (string, bool) {
	s, ok := c.Str(n, field)
	if ok && strings.TrimSpace(s) == "" {
		c.Errorf(n, field, "must not be empty")
		return "", false
	}
	return s, ok
}

var digitsRE = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)

// Int returns the integer scalar n; integral floats such as 1e9 are
// accepted up to 2^53, beyond which floats no longer hold every integer.
func (c *Checker) Int(n *yaml.Node, field string) (int64, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int":
			v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
			if err == nil {
				return v, true
			}
			if errors.Is(err, strconv.ErrRange) {
				c.Errorf(n, field, "integer %s is out of range", n.Value)
				return 0, false
			}
		case "!!float":
			if f, ok := integral(n); ok {
				if math.Abs(f) > 1<<53 {
					c.inexact(n, field, "integer %s is out of range")
					return 0, false
				}
				return int64(f), true
			}
		}
	}
	c.Errorf(n, field, "expected an integer, got %s", Describe(n))
	return 0, false
}

// inexact reports a float scalar too large to hold an exact integer: with
// outOfRange (a format taking n's text) if it is written as an integer
// that yaml/v3 resolved to a float because it overflows 64 bits.
func (c *Checker) inexact(n *yaml.Node, field, outOfRange string) {
	if digitsRE.MatchString(n.Value) {
		c.Errorf(n, field, outOfRange, n.Value)
		return
	}
	c.Errorf(n, field, "%s is too large to be an exact integer in this notation; write the integer out in digits", n.Value)
}

// integral returns the value of the float scalar n if it is an integer.
func integral(n *yaml.Node) (float64, bool) {
	var f float64
	if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || f != math.Trunc(f) {
		return 0, false // NaN fails f == Trunc(f)
	}
	return f, true
}

// IntRange returns the integer scalar n, reporting it unless lo <= n <= hi.
func (c *Checker) IntRange(n *yaml.Node, field string, lo, hi int64) (int64, bool) {
	v, ok := c.Int(n, field)
	switch {
	case !ok:
		return 0, false
	case v < lo:
		c.Errorf(n, field, "must be at least %d, got %d", lo, v)
		return 0, false
	case v > hi:
		c.Errorf(n, field, "must be at most %d, got %d", hi, v)
		return 0, false
	}
	return v, true
}

// Uint returns the non-negative integer scalar n.
func (c *Checker) Uint(n *yaml.Node, field string) (uint64, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int":
			plain := strings.ReplaceAll(n.Value, "_", "")
			if strings.HasPrefix(plain, "-") {
				c.Errorf(n, field, "must not be negative, got %s", n.Value)
				return 0, false
			}
			v, err := strconv.ParseUint(strings.TrimPrefix(plain, "+"), 0, 64)
			if err == nil {
				return v, true
			}
			if errors.Is(err, strconv.ErrRange) {
				c.Errorf(n, field, "integer %s is out of range (max %d)", n.Value, uint64(math.MaxUint64))
				return 0, false
			}
		case "!!float":
			if f, ok := integral(n); ok {
				switch {
				case f < 0:
					c.Errorf(n, field, "must not be negative, got %s", n.Value)
					return 0, false
				case f > 1<<53:
					c.inexact(n, field, "integer %s is out of range (max 18446744073709551615)")
					return 0, false
				}
				return uint64(f), true
			}
		}
	}
	c.Errorf(n, field, "expected a non-negative integer, got %s", Describe(n))
	return 0, false
}

// Bool returns the boolean scalar n.
func (c *Checker) Bool(n *yaml.Node, field string) (bool, bool) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		c.Errorf(n, field, "expected true or false, got %s", Describe(n))
		return false, false
	}
	return b, true
}

// Prob returns the number scalar n, reporting it unless in [0, 1].
func (c *Checker) Prob(n *yaml.Node, field string) (float64, bool) {
	var f float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
		c.Errorf(n, field, "expected a probability between 0 and 1, got %s", Describe(n))
		return 0, false
	}
	if math.IsNaN(f) || f < 0 || f > 1 {
		c.Errorf(n, field, "must be between 0 and 1, got %s", n.Value)
		return 0, false
	}
	return f, true
}

const durationHint = "use Go duration syntax such as 10s, 1m30s or 250ms; units: ns, us, ms, s, m, h"

// Duration returns the duration scalar n, reporting negative durations.
func (c *Checker) Duration(n *yaml.Node, field string) (time.Duration, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		c.Errorf(n, field, "expected a duration, got %s (%s)", Describe(n), durationHint)
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		if tag := n.ShortTag(); (tag == "!!int" || tag == "!!float") && n.Value != "0" {
			c.Errorf(n, field, "duration %s has no unit (%s)", n.Value, durationHint)
		} else {
			c.Errorf(n, field, "invalid duration %q (%s)", n.Value, durationHint)
		}
		return 0, false
	}
	if d < 0 {
		c.Errorf(n, field, "must not be negative, got %s", d)
		return 0, false
	}
	return d, true
}

// Positive reports the duration d read from n unless it is > 0.
func (c *Checker) Positive(n *yaml.Node, field string, d time.Duration) bool {
	if d == 0 {
		c.Errorf(n, field, "must be greater than 0, got %s", n.Value)
		return false
	}
	return true
}

// SignedDuration returns the duration scalar n, which may be negative.
func (c *Checker) SignedDuration(n *yaml.Node, field string) (time.Duration, bool) {
	if n.Kind == yaml.ScalarNode && len(n.Value) > 1 && n.Value[0] == '-' {
		cp := *n
		cp.Value = n.Value[1:]
		d, ok := c.Duration(&cp, field)
		return -d, ok
	}
	return c.Duration(n, field)
}

// StringList returns the sequence of unique, non-empty strings n (nil and
// true for a null); what names an item in messages.
func (c *Checker) StringList(n *yaml.Node, field, what string) ([]string, bool) {
	n = Deref(n)
	if IsNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		c.Errorf(n, field, "expected a sequence of %ss, got %s", what, Describe(n))
		return nil, false
	}
	ok := true
	list := []string{}
	seen := map[string]int{}
	for i, item := range n.Content {
		item = Deref(item)
		v, good := c.NonEmpty(item, Index(field, i))
		if !good {
			ok = false
			continue
		}
		if line, dup := seen[v]; dup {
			c.Errorf(item, Index(field, i), "duplicate %s %q (first at line %d)", what, v, line)
			ok = false
			continue
		}
		seen[v] = item.Line
		list = append(list, v)
	}
	return list, ok
}
