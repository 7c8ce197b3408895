package seal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/internal/seal"
)

func TestSeal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "saf.key")
	s, err := seal.LoadOrCreate(path)
	require.NoError(t, err)
	t.Run("makes a 0600 key file once and reuses it", func(t *testing.T) {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		again, err := seal.LoadOrCreate(path)
		require.NoError(t, err)
		v, err := again.Open(s.Seal([]byte("4000010100000000")))
		require.NoError(t, err)
		require.Equal(t, "4000010100000000", string(v))
	})
	t.Run("a sealed value holds nothing of the plain one and differs each time", func(t *testing.T) {
		a, b := s.Seal([]byte("4000010100000000")), s.Seal([]byte("4000010100000000"))
		require.False(t, bytes.Contains(a, []byte("4000010100000000")))
		require.NotEqual(t, a, b)
	})
	t.Run("a damaged value or another key does not open", func(t *testing.T) {
		v := s.Seal([]byte("secret"))
		v[len(v)-1] ^= 1
		_, err := s.Open(v)
		require.ErrorIs(t, err, seal.ErrOpen)
		other, err := seal.LoadOrCreate(filepath.Join(t.TempDir(), "other.key"))
		require.NoError(t, err)
		_, err = other.Open(s.Seal([]byte("secret")))
		require.ErrorIs(t, err, seal.ErrOpen)
		_, err = s.Open([]byte{1, 2})
		require.ErrorIs(t, err, seal.ErrOpen)
	})
	t.Run("a key file of the wrong size is refused", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.key")
		require.NoError(t, os.WriteFile(bad, []byte("short"), 0o600))
		_, err := seal.LoadOrCreate(bad)
		require.Error(t, err)
	})
	t.Run("processes racing to create the key agree on one", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "race.key")
		var wg sync.WaitGroup
		sealers := make([]*seal.Sealer, 8)
		for i := range sealers {
			wg.Go(func() {
				s, err := seal.LoadOrCreate(p)
				require.NoError(t, err)
				sealers[i] = s
			})
		}
		wg.Wait()
		v := sealers[0].Seal([]byte("x"))
		for _, s := range sealers {
			got, err := s.Open(v)
			require.NoError(t, err)
			require.Equal(t, "x", string(got))
		}
	})
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens", "requestor.key")
	key, err := seal.LoadOrCreateKey(path)
	require.NoError(t, err)
	t.Run("returns the same 32 bytes to every caller", func(t *testing.T) {
		require.Len(t, key, seal.KeySize)
		again, err := seal.LoadOrCreateKey(path)
		require.NoError(t, err)
		require.Equal(t, key, again)
	})
	t.Run("refuses a file of another size, naming it", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.key")
		require.NoError(t, os.WriteFile(bad, []byte("short"), 0o600))
		_, err := seal.LoadOrCreateKey(bad)
		require.ErrorContains(t, err, "bad.key")
	})
}
