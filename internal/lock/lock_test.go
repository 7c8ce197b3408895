package lock_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/internal/lock"
)

// childEnv makes the test binary take the lock named by its argument and then wait, so a
// test can hold a lock from another process and kill it.
const childEnv = "BANDEIRA_LOCK_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		if _, err := lock.Acquire(path, "child"); err != nil {
			os.Exit(3)
		}
		_, _ = os.Stdout.WriteString("locked\n")
		select {}
	}
	os.Exit(m.Run())
}

func TestAcquire(t *testing.T) {
	t.Run("a second holder is refused with the first one's pid and owner", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "locks", "issuer-nubank.lock")
		cmd := exec.Command(os.Args[0], "-test.run", "XXX")
		cmd.Env = append(os.Environ(), childEnv+"="+path)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		buf := make([]byte, 7)
		_, err = out.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "locked\n", string(buf))

		_, err = lock.Acquire(path, "me")
		require.ErrorIs(t, err, lock.ErrHeld)
		require.ErrorContains(t, err, "held by pid "+strconv.Itoa(cmd.Process.Pid)+" (child)")

		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
		l, err := lock.Acquire(path, "me")
		require.NoError(t, err, "a killed holder's lock is released by the kernel")
		require.NoError(t, l.Release())
		require.NoError(t, l.Release(), "Release is idempotent")
	})
	t.Run("a released lock can be taken again", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.lock")
		l, err := lock.Acquire(path, "first")
		require.NoError(t, err)
		require.NoError(t, l.Release())
		l, err = lock.Acquire(path, "second")
		require.NoError(t, err)
		require.NoError(t, l.Release())
	})
}
