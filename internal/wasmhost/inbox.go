package wasmhost

import (
	esys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// inboxFile reads one byte per idle point; otherwise it would block.
type inboxFile struct {
	esys.UnimplementedFile
	pending  int
	nonblock bool
}

func (f *inboxFile) IsDir() (bool, esys.Errno) { return false, 0 }
func (f *inboxFile) Stat() (sys.Stat_t, esys.Errno) {
	return sys.Stat_t{Mode: 0o444, Nlink: 1, Ino: 2}, 0
}
func (f *inboxFile) IsAppend() bool                 { return false }
func (f *inboxFile) SetAppend(bool) esys.Errno      { return 0 }
func (f *inboxFile) IsNonblock() bool               { return f.nonblock }
func (f *inboxFile) SetNonblock(on bool) esys.Errno { f.nonblock = on; return 0 }
func (f *inboxFile) Poll(esys.Pflag, int32) (bool, esys.Errno) {
	return f.pending > 0, 0
}
func (f *inboxFile) Read(p []byte) (int, esys.Errno) {
	if f.pending == 0 {
		return 0, esys.EAGAIN
	}
	n := min(f.pending, len(p))
	for i := range n {
		p[i] = 'y'
	}
	f.pending -= n
	return n, 0
}
