package nodes

import "github.com/terrarium-sim/terrarium/runtime/abi"

// Key implements abi.Host through the run's Security.
func (n *Node) Key(kind, peer int32) ([]byte, int32) {
	if n.Security == nil {
		return nil, abi.ErrnoDenied
	}
	return n.Security.Key(n, kind, peer)
}

// Attack implements abi.Host through the run's Security.
func (n *Node) Attack(op, a, b int32, msg []byte) int32 {
	if n.Security == nil {
		return abi.ErrnoDenied
	}
	return n.Security.Attack(n, op, a, b, msg)
}

// Recorded implements abi.Host through the run's Security.
func (n *Node) Recorded(i int32) (from, to int32, msg []byte, code int32) {
	if n.Security == nil {
		return 0, 0, nil, abi.ErrnoDenied
	}
	return n.Security.Recorded(n, i)
}
