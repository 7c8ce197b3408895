//go:build !unix

package main

import "syscall"

// childProcAttr is the default where process groups do not exist.
func childProcAttr() *syscall.SysProcAttr { return nil }
