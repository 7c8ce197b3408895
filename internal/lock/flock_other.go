//go:build !unix

package lock

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("lock: would block")

// flock does nothing where flock(2) does not exist: the lock is not enforced there.
func flock(*os.File) error { return nil }
