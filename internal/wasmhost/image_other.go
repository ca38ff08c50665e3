//go:build !linux

package wasmhost

import "github.com/tetratelabs/wazero/experimental"

// Without memfd, modules keep their data section and wazero copies it.
type memImage struct{}

const imageSupported = false

func newImage(string, []byte) (*memImage, error) { return nil, nil }
func (*memImage) close()                         {}
func (*memImage) Allocate(uint64, uint64) experimental.LinearMemory {
	return nil
}
