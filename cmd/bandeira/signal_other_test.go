//go:build !unix

package main

import (
	"errors"
	"syscall"
)

// signalPID fails: the tests that kill, stop or probe a node's process need kill(2), so
// they fail on this system instead of keeping the whole package's tests from compiling.
func signalPID(int, syscall.Signal) error {
	return errors.New("signalling a process needs kill(2), which this system does not have")
}
