package wasmhost

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	esys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// memFS is a node's file system (docs/ABI.md, "WASI"): an in-memory tree
// rooted at the guest's "/", holding a writable /tmp, bound by a byte
// quota like a tmpfs, and lost with the instance (a crash). Special files
// (the reactor's inbox) sit at the root, read-only, and cannot be removed.
//
// Every entry costs memEntryBytes of the quota on top of its data, so that
// empty files and directories are not free. A write or create past the
// quota fails with EIO (errFull); the guest sees a failing disk, not a
// crash.
type memFS struct {
	esys.UnimplementedFS
	quota   int64
	used    int64
	nextIno uint64
	base    uint64 // nextIno when the file system was made
	root    *memNode
	special map[string]esys.File
	now     func() int64 // walltime in ns, for timestamps
}

// errFull is what a write past the quota returns: wazero's file-system
// interface has no ENOSPC, so the guest sees EIO.
const errFull = esys.EIO

// memEntryBytes is what one file or directory costs of the quota.
const memEntryBytes = 256

type memNode struct {
	ino  uint64
	mode fs.FileMode // fs.ModeDir for a directory, plus permission bits
	data []byte
	kids map[string]*memNode
	mtim int64
	atim int64
}

func (n *memNode) isDir() bool { return n.mode.IsDir() }

func newMemFS(quota int64, now func() int64, special map[string]esys.File) *memFS {
	f := &memFS{quota: quota, nextIno: 16, special: special, now: now}
	f.root = f.newNode(fs.ModeDir | 0o777)
	tmp := f.newNode(fs.ModeDir | 0o777)
	f.root.kids["tmp"] = tmp
	f.used = 2 * memEntryBytes
	f.base = f.nextIno
	return f
}

// untouched reports whether the guest has made no file or directory.
func (f *memFS) untouched() bool { return f.nextIno == f.base }

func (f *memFS) newNode(mode fs.FileMode) *memNode {
	f.nextIno++
	t := f.now()
	n := &memNode{ino: f.nextIno, mode: mode, mtim: t, atim: t}
	if mode.IsDir() {
		n.kids = map[string]*memNode{}
	}
	return n
}

// split cleans a guest path (relative to the mount) into its parts; ".."
// never leaves the root.
func split(p string) []string {
	c := strings.Trim(path.Clean("/"+p), "/")
	if c == "" {
		return nil
	}
	return strings.Split(c, "/")
}

// lookup finds the node at p.
func (f *memFS) lookup(p string) (*memNode, esys.Errno) {
	n := f.root
	for _, part := range split(p) {
		if !n.isDir() {
			return nil, esys.ENOTDIR
		}
		k, ok := n.kids[part]
		if !ok {
			return nil, esys.ENOENT
		}
		n = k
	}
	return n, 0
}

// parent finds the directory holding p and p's last name.
func (f *memFS) parent(p string) (*memNode, string, esys.Errno) {
	parts := split(p)
	if len(parts) == 0 {
		return nil, "", esys.EINVAL // the root itself
	}
	dir, errno := f.lookup(strings.Join(parts[:len(parts)-1], "/"))
	if errno != 0 {
		return nil, "", errno
	}
	if !dir.isDir() {
		return nil, "", esys.ENOTDIR
	}
	return dir, parts[len(parts)-1], 0
}

// isSpecial reports whether p names one of the special root files.
func (f *memFS) isSpecial(p string) (esys.File, bool) {
	parts := split(p)
	if len(parts) != 1 {
		return nil, false
	}
	s, ok := f.special[parts[0]]
	return s, ok
}

// charge takes n bytes of the quota (n may be negative).
func (f *memFS) charge(n int64) esys.Errno {
	if n > 0 && f.used+n > f.quota {
		return errFull
	}
	f.used += n
	return 0
}

func (f *memFS) OpenFile(p string, flag esys.Oflag, perm fs.FileMode) (esys.File, esys.Errno) {
	if s, ok := f.isSpecial(p); ok {
		if flag&(esys.O_WRONLY|esys.O_RDWR|esys.O_TRUNC) != 0 {
			return nil, esys.EACCES
		}
		return s, 0
	}
	n, errno := f.lookup(p)
	switch {
	case errno == esys.ENOENT && flag&esys.O_CREAT != 0:
		dir, name, errno := f.parent(p)
		if errno != 0 {
			return nil, errno
		}
		if errno := f.charge(memEntryBytes); errno != 0 {
			return nil, errno
		}
		n = f.newNode(perm.Perm())
		dir.kids[name] = n
		dir.mtim = f.now()
	case errno != 0:
		return nil, errno
	case flag&esys.O_CREAT != 0 && flag&esys.O_EXCL != 0:
		return nil, esys.EEXIST
	}
	write := flag&(esys.O_WRONLY|esys.O_RDWR) != 0
	switch {
	case n.isDir() && write:
		return nil, esys.EISDIR
	case !n.isDir() && flag&esys.O_DIRECTORY != 0:
		return nil, esys.ENOTDIR
	}
	if flag&esys.O_TRUNC != 0 && write && !n.isDir() {
		f.charge(-int64(len(n.data)))
		n.data = nil
		n.mtim = f.now()
	}
	return &memFile{fs: f, n: n, read: flag&esys.O_WRONLY == 0, write: write, append: flag&esys.O_APPEND != 0}, 0
}

func (f *memFS) stat(p string) (sys.Stat_t, esys.Errno) {
	if s, ok := f.isSpecial(p); ok {
		return s.Stat()
	}
	n, errno := f.lookup(p)
	if errno != 0 {
		return sys.Stat_t{}, errno
	}
	return n.stat(), 0
}

func (f *memFS) Stat(p string) (sys.Stat_t, esys.Errno)  { return f.stat(p) }
func (f *memFS) Lstat(p string) (sys.Stat_t, esys.Errno) { return f.stat(p) }

func (f *memFS) Mkdir(p string, perm fs.FileMode) esys.Errno {
	if _, ok := f.isSpecial(p); ok {
		return esys.EEXIST
	}
	dir, name, errno := f.parent(p)
	if errno != 0 {
		return errno
	}
	if _, ok := dir.kids[name]; ok {
		return esys.EEXIST
	}
	if errno := f.charge(memEntryBytes); errno != 0 {
		return errno
	}
	dir.kids[name] = f.newNode(fs.ModeDir | perm.Perm())
	dir.mtim = f.now()
	return 0
}

// remove deletes the entry at p if it is a directory (dir) or not.
func (f *memFS) remove(p string, dir bool) esys.Errno {
	if _, ok := f.isSpecial(p); ok {
		return esys.EACCES
	}
	parent, name, errno := f.parent(p)
	if errno != 0 {
		return errno
	}
	n, ok := parent.kids[name]
	switch {
	case !ok:
		return esys.ENOENT
	case dir && !n.isDir():
		return esys.ENOTDIR
	case !dir && n.isDir():
		return esys.EISDIR
	case dir && len(n.kids) > 0:
		return esys.ENOTEMPTY
	}
	delete(parent.kids, name)
	parent.mtim = f.now()
	f.charge(-memEntryBytes - int64(len(n.data)))
	return 0
}

func (f *memFS) Rmdir(p string) esys.Errno  { return f.remove(p, true) }
func (f *memFS) Unlink(p string) esys.Errno { return f.remove(p, false) }

func (f *memFS) Rename(from, to string) esys.Errno {
	_, fs1 := f.isSpecial(from)
	_, fs2 := f.isSpecial(to)
	if fs1 || fs2 {
		return esys.EACCES
	}
	src, sname, errno := f.parent(from)
	if errno != 0 {
		return errno
	}
	n, ok := src.kids[sname]
	if !ok {
		return esys.ENOENT
	}
	dst, dname, errno := f.parent(to)
	if errno != 0 {
		return errno
	}
	if n.isDir() { // a directory may not move under itself
		if strings.HasPrefix("/"+strings.Join(split(to), "/")+"/", "/"+strings.Join(split(from), "/")+"/") {
			return esys.EINVAL
		}
	}
	if old, ok := dst.kids[dname]; ok {
		if old == n {
			return 0
		}
		switch {
		case old.isDir() && !n.isDir():
			return esys.EISDIR
		case !old.isDir() && n.isDir():
			return esys.ENOTDIR
		case old.isDir() && len(old.kids) > 0:
			return esys.ENOTEMPTY
		}
		f.charge(-memEntryBytes - int64(len(old.data)))
	}
	delete(src.kids, sname)
	dst.kids[dname] = n
	t := f.now()
	src.mtim, dst.mtim = t, t
	return 0
}

func (f *memFS) Chmod(p string, perm fs.FileMode) esys.Errno {
	n, errno := f.lookup(p)
	if errno != 0 {
		return errno
	}
	n.mode = n.mode&fs.ModeDir | perm.Perm()
	return 0
}

func (f *memFS) Utimens(p string, atim, mtim int64) esys.Errno {
	n, errno := f.lookup(p)
	if errno != 0 {
		return errno
	}
	n.setTimes(f, atim, mtim)
	return 0
}

func (n *memNode) setTimes(f *memFS, atim, mtim int64) {
	if atim == esys.UTIME_OMIT {
		atim = n.atim
	}
	if mtim == esys.UTIME_OMIT {
		mtim = n.mtim
	}
	n.atim, n.mtim = atim, mtim
}

func (n *memNode) stat() sys.Stat_t {
	nlink := uint64(1)
	if n.isDir() {
		nlink = 2
	}
	return sys.Stat_t{Dev: 1, Ino: n.ino, Mode: n.mode, Nlink: nlink, Size: int64(len(n.data)), Atim: n.atim, Mtim: n.mtim, Ctim: n.mtim}
}

// memFile is an open file or directory of a memFS.
type memFile struct {
	esys.UnimplementedFile
	fs                  *memFS
	n                   *memNode
	off                 int64
	read, write, append bool
	dirPos              int // entries of the directory already returned
}

// memFile has no Seek (fd_seek and fd_tell return ENOSYS, as do rewinds of a
// directory listing): go vet rejects a method named Seek with wazero's
// signature, and reading, writing and appending need none.

func (h *memFile) Dev() (uint64, esys.Errno)      { return 1, 0 }
func (h *memFile) Ino() (sys.Inode, esys.Errno)   { return h.n.ino, 0 }
func (h *memFile) IsDir() (bool, esys.Errno)      { return h.n.isDir(), 0 }
func (h *memFile) IsAppend() bool                 { return h.append }
func (h *memFile) SetAppend(on bool) esys.Errno   { h.append = on; return 0 }
func (h *memFile) Stat() (sys.Stat_t, esys.Errno) { return h.n.stat(), 0 }
func (h *memFile) Sync() esys.Errno               { return 0 }
func (h *memFile) Datasync() esys.Errno           { return 0 }
func (h *memFile) Close() esys.Errno              { return 0 }

func (h *memFile) Utimens(atim, mtim int64) esys.Errno {
	h.n.setTimes(h.fs, atim, mtim)
	return 0
}

func (h *memFile) Read(p []byte) (int, esys.Errno) {
	n, errno := h.Pread(p, h.off)
	h.off += int64(n)
	return n, errno
}

func (h *memFile) Pread(p []byte, off int64) (int, esys.Errno) {
	switch {
	case h.n.isDir():
		return 0, esys.EISDIR
	case !h.read:
		return 0, esys.EBADF
	case off < 0:
		return 0, esys.EINVAL
	case off >= int64(len(h.n.data)):
		return 0, 0
	}
	return copy(p, h.n.data[off:]), 0
}

func (h *memFile) Write(p []byte) (int, esys.Errno) {
	if h.append {
		h.off = int64(len(h.n.data))
	}
	n, errno := h.Pwrite(p, h.off)
	h.off += int64(n)
	return n, errno
}

func (h *memFile) Pwrite(p []byte, off int64) (int, esys.Errno) {
	switch {
	case h.n.isDir():
		return 0, esys.EISDIR
	case !h.write:
		return 0, esys.EBADF
	case off < 0:
		return 0, esys.EINVAL
	}
	end := off + int64(len(p))
	if grow := end - int64(len(h.n.data)); grow > 0 {
		if errno := h.fs.charge(grow); errno != 0 {
			return 0, errno
		}
		h.n.data = append(h.n.data, make([]byte, grow)...)
	}
	copy(h.n.data[off:], p)
	h.n.mtim = h.fs.now()
	return len(p), 0
}

func (h *memFile) Truncate(size int64) esys.Errno {
	switch {
	case h.n.isDir():
		return esys.EISDIR
	case !h.write:
		return esys.EBADF
	case size < 0:
		return esys.EINVAL
	}
	if grow := size - int64(len(h.n.data)); grow > 0 {
		if errno := h.fs.charge(grow); errno != 0 {
			return errno
		}
		h.n.data = append(h.n.data, make([]byte, grow)...)
	} else {
		h.fs.charge(grow)
		h.n.data = h.n.data[:size]
	}
	h.n.mtim = h.fs.now()
	return 0
}

// Readdir lists the directory in name order (the special files first at
// the root), n at a time.
func (h *memFile) Readdir(n int) ([]esys.Dirent, esys.Errno) {
	if !h.n.isDir() {
		return nil, esys.EBADF
	}
	var all []esys.Dirent
	if h.n == h.fs.root {
		names := make([]string, 0, len(h.fs.special))
		for name := range h.fs.special {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			st, _ := h.fs.special[name].Stat()
			all = append(all, esys.Dirent{Name: name, Ino: st.Ino, Type: st.Mode.Type()})
		}
	}
	names := make([]string, 0, len(h.n.kids))
	for name := range h.n.kids {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		k := h.n.kids[name]
		all = append(all, esys.Dirent{Name: name, Ino: k.ino, Type: k.mode.Type()})
	}
	if h.dirPos >= len(all) {
		return nil, 0
	}
	all = all[h.dirPos:]
	if n > 0 && n < len(all) {
		all = all[:n]
	}
	h.dirPos += len(all)
	return all, 0
}
