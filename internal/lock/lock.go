// Package lock keeps two processes from serving the same data: a node takes an exclusive
// lock on a file under its data directory for as long as it runs, and a second process
// asking for the same lock is refused at once with the first one's PID and owner.
//
// The lock is an advisory flock(2) on an open file descriptor, so the kernel releases it
// when the process exits for any reason, kill -9 included: a stale lock file never blocks
// a restart.
package lock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrHeld reports a lock another process holds. The error's text names that process.
var ErrHeld = errors.New("lock: held by another process")

// Lock is a held lock. Release it with Release; it is released anyway when the process
// exits.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the lock at path, creating the file and its directory (mode 0o750) when
// needed, and writes "PID owner" into it for whoever is refused later. It fails at once,
// never waits, with an error wrapping ErrHeld that names the holder's PID and owner when
// another process holds the lock.
func Acquire(path, owner string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := flock(f); err != nil {
		_ = f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w: %s", ErrHeld, holder(path))
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+" "+owner+"\n"), 0)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
	}
	return &Lock{f: f, path: path}, nil
}

// holder describes who holds the lock at path, from what it wrote there.
func holder(path string) string {
	b, err := os.ReadFile(path)
	pid, owner, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	if err != nil || !ok {
		return "another process holds " + path
	}
	return fmt.Sprintf("%s is held by pid %s (%s)", path, pid, owner)
}

// Release unlocks and closes the lock file; the file stays. It is idempotent.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	if err != nil {
		return fmt.Errorf("unlocking %s: %w", l.path, err)
	}
	return nil
}
