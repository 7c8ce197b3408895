package seal

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHasher(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "pan-hash.key")
	h, err := LoadOrCreateHasher(path)
	require.NoError(t, err)
	pan := []byte("4000010100000000")

	t.Run("hashes a value the same way every time, and other values otherwise", func(t *testing.T) {
		require.Equal(t, h.Sum(pan), h.Sum(pan))
		require.NotEqual(t, h.Sum(pan), h.Sum([]byte("4000010100000001")))
	})
	t.Run("keeps the key in a 0600 file and hashes the same after loading it again", func(t *testing.T) {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		again, err := LoadOrCreateHasher(path)
		require.NoError(t, err)
		require.Equal(t, h.Sum(pan), again.Sum(pan))
	})
	t.Run("hashes differently under another key, and the hash does not hold the value", func(t *testing.T) {
		other, err := LoadOrCreateHasher(filepath.Join(dir, "other.key"))
		require.NoError(t, err)
		require.NotEqual(t, h.Sum(pan), other.Sum(pan))
		sum := h.Sum(pan)
		require.False(t, bytes.Contains(sum[:], pan[:6]))
	})
	t.Run("refuses a key file of the wrong size", func(t *testing.T) {
		bad := filepath.Join(dir, "short.key")
		require.NoError(t, os.WriteFile(bad, []byte("short"), 0o600))
		_, err := LoadOrCreateHasher(bad)
		require.Error(t, err)
	})
	t.Run("is safe for concurrent use", func(t *testing.T) {
		want := h.Sum(pan)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 100 {
					if h.Sum(pan) != want {
						t.Error("a concurrent sum differs")
						return
					}
				}
			})
		}
		wg.Wait()
	})
}
