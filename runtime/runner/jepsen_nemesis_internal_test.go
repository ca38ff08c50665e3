package runner

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reference: jepsen.nemesis/majorities-ring: every node sees a majority
// of the nodes (itself included), and in the exact ring (four or five
// nodes) no two nodes see the same one.
func TestMajoritiesRing(t *testing.T) {
	for n := 1; n <= 9; n++ {
		var names []string
		for i := range n {
			names = append(names, fmt.Sprintf("n%d", i))
		}
		for seed := range uint64(5) {
			cuts := majoritiesRing(names, rand.New(rand.NewPCG(seed, 1)))
			drops := map[string]map[string]bool{}
			for _, c := range cuts {
				drops[c.to] = map[string]bool{}
				for _, f := range c.from {
					assert.NotEqual(t, c.to, f, "a node cut from itself")
					drops[c.to][f] = true
				}
			}
			seen := map[string]bool{}
			for _, a := range names {
				var sees string
				count := 0
				for _, b := range names {
					if !drops[a][b] {
						count++
						sees += b + " "
					}
				}
				assert.GreaterOrEqual(t, count, n/2+1, "n=%d seed %d: %s sees no majority", n, seed, a)
				if n >= 4 && n <= 5 { // the exact ring; the stochastic one promises only majorities
					assert.False(t, seen[sees], "n=%d seed %d: two nodes see %s", n, seed, sees)
				}
				seen[sees] = true
			}
		}
	}
}
