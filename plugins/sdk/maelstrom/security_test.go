package maelstrom

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

func TestSecurityCallsNeedTheHost(t *testing.T) {
	n := NewNode()
	_, err := KeysOf(n).Secret()
	assert.ErrorIs(t, err, errNoHost)
	assert.ErrorIs(t, AttackerOf(n).Replay(0), errNoHost)
	_, _, err = AttackerOf(n).Recorded(0)
	assert.ErrorIs(t, err, errNoHost)
}

func TestSecurityCodesBecomeErrors(t *testing.T) {
	assert.NoError(t, attackErr(0))
	assert.ErrorIs(t, attackErr(abi.ErrnoQuota), ErrAttackBudget)
	assert.ErrorIs(t, attackErr(abi.ErrnoDenied), ErrDenied)
	assert.ErrorIs(t, attackErr(abi.ErrnoNoDest), ErrUnknownDestination)
	assert.ErrorIs(t, codeErr("key", abi.ErrnoAbsent), errAbsent)
	assert.True(t, errors.Is(codeErr("key", abi.ErrnoDenied), ErrDenied))
	assert.EqualError(t, codeErr("key", -99), "maelstrom: key returned -99")
}
