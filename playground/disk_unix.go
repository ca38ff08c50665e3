//go:build unix

package playground

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// statfsFree is the free space an unprivileged writer may use (statfs's
// f_bavail), the default FreeSpaceFunc.
func statfsFree(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("playground: statfs %s: %w", path, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
