package wasmhost

import (
	"io/fs"

	esys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// inboxFS is the guest's whole file system: a root directory holding the
// single file "inbox" (docs/ABI.md, "Idle points").
type inboxFS struct {
	esys.UnimplementedFS
	inbox *inboxFile
}

func (f inboxFS) OpenFile(path string, _ esys.Oflag, _ fs.FileMode) (esys.File, esys.Errno) {
	switch path {
	case "", ".":
		return rootDir{}, 0
	case "inbox":
		return f.inbox, 0
	}
	return nil, esys.ENOENT
}

func (f inboxFS) Stat(path string) (sys.Stat_t, esys.Errno) {
	switch path {
	case "", ".":
		return rootDir{}.Stat()
	case "inbox":
		return f.inbox.Stat()
	}
	return sys.Stat_t{}, esys.ENOENT
}

func (f inboxFS) Lstat(path string) (sys.Stat_t, esys.Errno) { return f.Stat(path) }

type rootDir struct{ esys.UnimplementedFile }

func (rootDir) IsDir() (bool, esys.Errno) { return true, 0 }
func (rootDir) Stat() (sys.Stat_t, esys.Errno) {
	return sys.Stat_t{Mode: fs.ModeDir | 0o555, Nlink: 1, Ino: 1}, 0
}
func (rootDir) Readdir(int) ([]esys.Dirent, esys.Errno) {
	return []esys.Dirent{{Name: "inbox", Ino: 2}}, 0
}

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
