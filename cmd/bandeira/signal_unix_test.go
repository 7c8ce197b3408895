//go:build unix

package main

import "syscall"

// signalPID sends sig to process pid with kill(2); signal 0 only checks that it exists.
func signalPID(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }
