package issuers_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/books"
)

func TestAuthCodes(t *testing.T) {
	cfg := testConfig()
	// codes returns the approval codes of n purchases from stan on a bank built with opts.
	codes := func(name, bin string, stan, n int, opts ...issuers.Option) []string {
		b, err := issuers.NewBank(name, cfg, nopLogger(), nil, fixedNow, opts...)
		require.NoError(t, err)
		c := card(t, cfg, bin, "", 0)
		out := make([]string, n)
		for i := range out {
			res := authorize(t, b, request(bandeira.MTIFinancial, "000000", c, 100, stan+i))
			require.Equal(t, bandeira.Approved, res.Code)
			require.Len(t, res.AuthCode, 6)
			out[i] = res.AuthCode
		}
		return out
	}
	requireDistinct := func(t *testing.T, codes []string) {
		t.Helper()
		seen := map[string]bool{}
		for _, c := range codes {
			require.False(t, seen[c], "code %s issued twice", c)
			seen[c] = true
		}
	}
	t.Run("are unique within a bank and differ between banks", func(t *testing.T) {
		requireDistinct(t, append(codes(issuers.BancoDoBrasil, "40000102", 1, 50), codes(issuers.Nubank, "52600102", 1, 50)...))
	})
	t.Run("are the same for the same bank on every run", func(t *testing.T) {
		require.Equal(t, codes(issuers.Sicredi, "47480102", 1, 5), codes(issuers.Sicredi, "47480102", 1, 5))
	})
	t.Run("are never issued again after a restart on the same books, declines and inquiries between", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sicredi.db")
		open := func() *books.Books {
			bk, err := books.Open(context.Background(), path, books.DefaultConfig(), books.Options{})
			require.NoError(t, err)
			return bk
		}
		bk := open()
		first := codes(issuers.Sicredi, "47480102", 1, 8, issuers.WithLedger(bk))
		b, err := issuers.NewBank(issuers.Sicredi, cfg, nopLogger(), nil, fixedNow, issuers.WithLedger(bk))
		require.NoError(t, err)
		c := card(t, cfg, "47480102", "", 0)
		inquiry := authorize(t, b, request(bandeira.MTIAuthorization, "310000", c, 0, 100))
		require.Equal(t, bandeira.Approved, inquiry.Code)
		declined := request(bandeira.MTIAuthorization, "000000", c, 100, 101)
		declined.CVV2 = "1"
		require.Equal(t, bandeira.CVV2Mismatch, authorize(t, b, declined).Code)
		require.NoError(t, bk.Close())
		bk = open()
		defer func() { require.NoError(t, bk.Close()) }()
		again := codes(issuers.Sicredi, "47480102", 200, 8, issuers.WithLedger(bk))
		requireDistinct(t, append(append(first, inquiry.AuthCode), again...))
	})
}
