//go:build unix && !linux

package main

import "syscall"

// childProcAttr puts a node in its own process group, so a Ctrl-C at the terminal reaches
// only the supervisor, which stops the nodes in order.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
