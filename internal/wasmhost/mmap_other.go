//go:build !(linux || darwin || freebsd)

package wasmhost

import "github.com/tetratelabs/wazero/experimental"

// memoryAllocator falls back to wazero's default (grow by copy).
func memoryAllocator() experimental.MemoryAllocator { return nil }
