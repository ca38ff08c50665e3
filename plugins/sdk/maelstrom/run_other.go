//go:build !wasip1

package maelstrom

import "errors"

// Run hands control to the host. Outside a wasip1 build there is no host.
func (n *Node) Run() error {
	return errors.New("maelstrom: Run needs GOOS=wasip1 GOARCH=wasm")
}
