package issuers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

func TestAuthCodes(t *testing.T) {
	cfg := testConfig()
	// codes returns the approval codes of n purchases on a fresh bank built with opts.
	codes := func(name, bin string, n int, opts ...issuers.Option) []string {
		b, err := issuers.NewBank(name, cfg, nopLogger(), nil, fixedNow, opts...)
		require.NoError(t, err)
		c := card(t, cfg, bin, "", 0)
		out := make([]string, n)
		for i := range out {
			res := authorize(t, b, request(bandeira.MTIFinancial, "000000", c, 100, i+1))
			require.Equal(t, bandeira.Approved, res.Code)
			require.Len(t, res.AuthCode, 6)
			out[i] = res.AuthCode
		}
		return out
	}
	t.Run("are unique within a bank and differ between banks", func(t *testing.T) {
		bb := codes(issuers.BancoDoBrasil, "40000102", 50)
		nu := codes(issuers.Nubank, "52600102", 50)
		seen := map[string]bool{}
		for _, c := range append(bb, nu...) {
			require.False(t, seen[c], "code %s issued twice", c)
			seen[c] = true
		}
	})
	t.Run("are the same for the same bank on every run", func(t *testing.T) {
		require.Equal(t, codes(issuers.Sicredi, "47480102", 5), codes(issuers.Sicredi, "47480102", 5))
	})
	t.Run("continue after the codes already issued when the bank restarts", func(t *testing.T) {
		first := codes(issuers.Sicredi, "47480102", 8)
		restarted := codes(issuers.Sicredi, "47480102", 3, issuers.WithAuthCodeStart(5))
		require.Equal(t, first[5:], restarted)
	})
}
