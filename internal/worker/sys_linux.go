package worker

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// auditArch is the seccomp architecture of this build, 0 where Confine
// has no filter for it.
func auditArch() uint32 {
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64
	}
	return 0
}

// denied are the system calls a worker never needs: running programs,
// inspecting or joining other processes, mounting, loading kernel code,
// and new namespaces.
var denied = []uintptr{
	unix.SYS_EXECVE, unix.SYS_EXECVEAT, unix.SYS_PTRACE, unix.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_WRITEV,
	unix.SYS_MOUNT, unix.SYS_UMOUNT2, unix.SYS_PIVOT_ROOT, unix.SYS_CHROOT, unix.SYS_REBOOT,
	unix.SYS_KEXEC_LOAD, unix.SYS_INIT_MODULE, unix.SYS_FINIT_MODULE, unix.SYS_DELETE_MODULE,
	unix.SYS_BPF, unix.SYS_PERF_EVENT_OPEN, unix.SYS_KEYCTL, unix.SYS_ADD_KEY, unix.SYS_REQUEST_KEY,
	unix.SYS_UNSHARE, unix.SYS_SETNS, unix.SYS_USERFAULTFD,
}

// Confine installs a seccomp filter on every thread of the calling
// process (a worker calls it first thing): the system calls in denied
// fail with EPERM, and socket(2) makes only unix sockets (EAFNOSUPPORT
// otherwise), so a guest that escaped wazero still could not start a
// program, reach the network or another process. It needs no privilege
// (it sets no_new_privs). Where the architecture has no filter here it
// does nothing.
func Confine() error {
	arch := auditArch()
	if arch == 0 {
		return nil
	}
	const (
		nrOff   = 0  // seccomp_data.nr
		archOff = 4  // seccomp_data.arch
		arg0Off = 16 // seccomp_data.args[0], low half on little-endian
	)
	ret := func(k uint32) unix.SockFilter { return unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: k} }
	load := func(off uint32) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off}
	}
	// jeq jumps t instructions ahead when A == k, else f.
	jeq := func(k uint32, t, f uint8) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: k, Jt: t, Jf: f}
	}
	prog := []unix.SockFilter{
		load(archOff),
		jeq(arch, 1, 0),
		ret(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)), // another ABI (x32, 32-bit): refused
		load(nrOff),
	}
	for _, nr := range denied {
		prog = append(prog, jeq(uint32(nr), 0, 1), ret(unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM)))
	}
	prog = append(prog,
		jeq(uint32(unix.SYS_SOCKET), 0, 3),
		load(arg0Off),
		jeq(unix.AF_UNIX, 1, 0),
		ret(unix.SECCOMP_RET_ERRNO|uint32(unix.EAFNOSUPPORT)),
		ret(unix.SECCOMP_RET_ALLOW),
	)
	if len(prog) > 255 {
		return fmt.Errorf("worker: seccomp filter of %d instructions is too long for its jumps", len(prog))
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("worker: no_new_privs: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(&fprog))); errno != 0 {
		return fmt.Errorf("worker: seccomp: %w", errno)
	}
	runtime.KeepAlive(prog)
	return nil
}

// Supported says whether this system runs workers (Linux: prlimit,
// namespaces, seccomp).
const Supported = true

func sysProcAttr(l Limits) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if l.Isolate {
		a.Cloneflags = syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWPID
	}
	return a
}

// setLimits applies l to the process pid with prlimit(2).
func setLimits(pid int, l Limits) error {
	for _, x := range []struct {
		res   int
		n     int64
		name  string
		slack int64
	}{
		{unix.RLIMIT_DATA, l.MemoryBytes, "RLIMIT_DATA", 0},
		// The soft CPU limit sends SIGXCPU, the hard one SIGKILL.
		{unix.RLIMIT_CPU, l.CPUSeconds, "RLIMIT_CPU", 2},
		{unix.RLIMIT_NOFILE, l.OpenFiles, "RLIMIT_NOFILE", 0},
		{unix.RLIMIT_FSIZE, l.FileBytes, "RLIMIT_FSIZE", 0},
	} {
		if x.n <= 0 {
			continue
		}
		lim := unix.Rlimit{Cur: uint64(x.n), Max: uint64(x.n + x.slack)}
		if err := unix.Prlimit(pid, x.res, &lim, nil); err != nil {
			return fmt.Errorf("worker: %s %d: %w", x.name, x.n, err)
		}
	}
	return nil
}

// killGroup kills the child's process group: the child and anything it
// started.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
