package sim_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
)

func goX(b *testing.B) []byte {
	w, err := gobuild.BuildWith(context.Background(), "../../internal/testguests/gox", gobuild.Options{Style: gobuild.Reactor})
	require.NoError(b, err)
	return w
}

func BenchmarkTmpX(b *testing.B) {
	for _, r := range []string{"none", "A", "B", "C", "D", "E", "AG", "ALL"} {
		b.Run(r, func(b *testing.B) { benchPingPong(b, guestKind{name: r, module: goX, role: r, fuel: true}, 10) })
	}
}
