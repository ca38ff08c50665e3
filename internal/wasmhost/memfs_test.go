package wasmhost

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	esys "github.com/tetratelabs/wazero/experimental/sys"
)

func TestMemFSQuotaCountsEntriesAndData(t *testing.T) {
	f := newMemFS(10*memEntryBytes, func() int64 { return 7 }, nil)
	// the root and /tmp take two entries; eight more fit
	for i := range 8 {
		_, errno := f.OpenFile(fmt.Sprintf("tmp/f%d", i), esys.O_CREAT|esys.O_WRONLY, 0o644)
		require.Zero(t, errno, i)
	}
	_, errno := f.OpenFile("tmp/one-too-many", esys.O_CREAT|esys.O_WRONLY, 0o644)
	assert.Equal(t, errFull, errno, "empty files are not free")
	assert.Equal(t, errFull, f.Mkdir("d", 0o755))

	require.Zero(t, f.Unlink("tmp/f0"))
	h, errno := f.OpenFile("tmp/big", esys.O_CREAT|esys.O_RDWR, 0o644)
	require.Zero(t, errno)
	_, errno = h.Write(make([]byte, 1))
	assert.Equal(t, errFull, errno, "no room left for data")
	require.Zero(t, f.Unlink("tmp/f1"))
	n, errno := h.Write(make([]byte, memEntryBytes))
	require.Zero(t, errno)
	assert.Equal(t, memEntryBytes, n)
	require.Zero(t, h.Truncate(0), "truncating gives the bytes back")
	_, errno = h.Pwrite(make([]byte, memEntryBytes), 0)
	assert.Zero(t, errno)
	_, errno = h.Pwrite(make([]byte, 1), memEntryBytes)
	assert.Equal(t, errFull, errno)
}

func TestMemFSRejectsBadOperations(t *testing.T) {
	inbox := &inboxFile{}
	f := newMemFS(1<<20, func() int64 { return 7 }, map[string]esys.File{"inbox": inbox})
	require.Zero(t, f.Mkdir("a", 0o755))
	require.Zero(t, f.Mkdir("a/b", 0o755))
	w, errno := f.OpenFile("a/b/x", esys.O_CREAT|esys.O_WRONLY, 0o644)
	require.Zero(t, errno)
	_, errno = w.Read(make([]byte, 4))
	assert.Equal(t, esys.EBADF, errno, "a write-only file cannot be read")

	for name, got := range map[string]esys.Errno{
		"rmdir non-empty":     f.Rmdir("a"),
		"rename under itself": f.Rename("a", "a/b/c"),
		"unlink a directory":  f.Unlink("a/b"),
		"rmdir a file":        f.Rmdir("a/b/x"),
		"mkdir existing":      f.Mkdir("tmp", 0o755),
		"remove the inbox":    f.Unlink("inbox"),
		"rename onto inbox":   f.Rename("a/b/x", "inbox"),
		"create under a file": f.Mkdir("a/b/x/y", 0o755),
		"unlink missing":      f.Unlink("nope"),
	} {
		assert.NotZero(t, got, name)
	}
	_, errno = f.OpenFile("a", esys.O_WRONLY, 0)
	assert.Equal(t, esys.EISDIR, errno)
	_, errno = f.OpenFile("inbox", esys.O_WRONLY, 0)
	assert.Equal(t, esys.EACCES, errno, "the inbox is read-only")
	_, errno = f.OpenFile("tmp", esys.O_CREAT|esys.O_EXCL|esys.O_WRONLY, 0)
	assert.Equal(t, esys.EEXIST, errno)
	in, errno := f.OpenFile("../../inbox", esys.O_RDONLY, 0)
	require.Zero(t, errno, "'..' stops at the root")
	assert.Same(t, inbox, in)

	root, errno := f.OpenFile(".", esys.O_RDONLY|esys.O_DIRECTORY, 0)
	require.Zero(t, errno)
	ents, errno := root.Readdir(-1)
	require.Zero(t, errno)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"inbox", "a", "tmp"}, names)
	require.Zero(t, f.Rename("a/b/x", "tmp/y"))
	_, errno = f.Stat("tmp/y")
	assert.Zero(t, errno)
	_, errno = f.Stat("a/b/x")
	assert.Equal(t, esys.ENOENT, errno)
}
