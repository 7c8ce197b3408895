package wallet

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPINRules(t *testing.T) {
	for _, c := range []struct {
		pin, code string
	}{
		{"246810", ""}, {"975310", ""}, {"123457", ""}, {"112233", ""},
		{"111111", "weak_pin"}, {"000000", "weak_pin"}, {"123456", "weak_pin"}, {"012345", "weak_pin"},
		{"654321", "weak_pin"}, {"789012", "weak_pin"}, {"210987", "weak_pin"},
		{"12345", "invalid_pin"}, {"1234567", "invalid_pin"}, {"12 456", "invalid_pin"}, {"", "invalid_pin"},
		{"١٢٣٤٥٦", "invalid_pin"},
	} {
		err := checkNewPIN(c.pin)
		if c.code == "" {
			require.Nil(t, err, c.pin)
			continue
		}
		require.NotNil(t, err, c.pin)
		require.Equal(t, c.code, err.Code, c.pin)
		if c.pin != "" {
			require.NotContains(t, err.Message, c.pin)
		}
	}
}

func TestPINHash(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 32)
	h, err := hashPIN("246810", secret, 1000)
	require.NoError(t, err)
	t.Run("matches its PIN only", func(t *testing.T) {
		require.True(t, h.matches("246810", secret))
		require.False(t, h.matches("246811", secret))
	})
	t.Run("needs the wallet's secret", func(t *testing.T) {
		require.False(t, h.matches("246810", bytes.Repeat([]byte{8}, 32)))
	})
	t.Run("is salted: the same PIN hashes differently", func(t *testing.T) {
		again, err := hashPIN("246810", secret, 1000)
		require.NoError(t, err)
		require.NotEqual(t, h.Hash, again.Hash)
		require.NotEqual(t, h.Salt, again.Salt)
	})
	t.Run("keeps its iteration count, so a raised count leaves old hashes valid", func(t *testing.T) {
		require.Equal(t, 1000, h.Iterations)
		require.False(t, bytes.Contains(h.Hash, []byte("246810")))
	})
}

// BenchmarkPINHash measures one PIN check at the default iteration count: the cost of
// every PIN confirmation, and of each guess of someone holding the database and the
// secret key.
func BenchmarkPINHash(b *testing.B) {
	secret := bytes.Repeat([]byte{7}, 32)
	h, err := hashPIN("246810", secret, DefaultConfig().PIN.Iterations)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		h.matches("246810", secret)
	}
}
