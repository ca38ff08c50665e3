//go:build !linux

package worker

import (
	"errors"
	"syscall"
)

// Supported says whether this system runs workers (Linux only: prlimit,
// namespaces, seccomp); elsewhere the server runs runs in its process.
const Supported = false

func sysProcAttr(Limits) *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func setLimits(int, Limits) error { return errors.New("worker: workers need Linux") }

func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

// Confine does nothing here.
func Confine() error { return nil }
