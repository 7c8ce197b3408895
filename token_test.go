package bandeira_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func TestTokenCryptogram(t *testing.T) {
	requestorKey := []byte("0123456789abcdef0123456789abcdef")
	a := bandeira.Authorization{MTI: "0200", PAN: "4895000012345674", ProcessingCode: "000000", Amount: 3600,
		AcquirerID: "0010000000001", TerminalID: "WAPP0001", STAN: "000042", TransmissionTime: "1126143005"}
	key := bandeira.TokenKey(requestorKey, a.PAN)
	c := bandeira.TokenCryptogram(key, &a, 7)

	t.Run("is 16 uppercase hex characters and the same for the same inputs", func(t *testing.T) {
		require.Len(t, c, bandeira.CryptogramLen)
		require.Regexp(t, `^[0-9A-F]{16}$`, c)
		require.Equal(t, c, bandeira.TokenCryptogram(bandeira.TokenKey(requestorKey, a.PAN), &a, 7))
	})
	t.Run("signs the key in normal form, so zero padding does not matter", func(t *testing.T) {
		b := a
		b.AcquirerID, b.STAN = "10000000001", "42"
		require.True(t, bandeira.CryptogramEqual(c, bandeira.TokenCryptogram(key, &b, 7)))
	})
	changes := map[string]func(*bandeira.Authorization, *uint32){
		"the amount":              func(a *bandeira.Authorization, _ *uint32) { a.Amount++ },
		"the processing code":     func(a *bandeira.Authorization, _ *uint32) { a.ProcessingCode = "100000" },
		"the counter":             func(_ *bandeira.Authorization, n *uint32) { *n = 8 },
		"the STAN":                func(a *bandeira.Authorization, _ *uint32) { a.STAN = "000043" },
		"the terminal":            func(a *bandeira.Authorization, _ *uint32) { a.TerminalID = "WAPP0002" },
		"the transmission time":   func(a *bandeira.Authorization, _ *uint32) { a.TransmissionTime = "1126143006" },
		"the acquirer":            func(a *bandeira.Authorization, _ *uint32) { a.AcquirerID = "20000000002" },
		"the token (key and PAN)": func(a *bandeira.Authorization, _ *uint32) { a.PAN = "4895000012345682" },
	}
	for what, change := range changes {
		t.Run("changes with "+what, func(t *testing.T) {
			b, n := a, uint32(7)
			change(&b, &n)
			require.NotEqual(t, c, bandeira.TokenCryptogram(bandeira.TokenKey(requestorKey, b.PAN), &b, n))
		})
	}
	t.Run("changes with the requestor's key", func(t *testing.T) {
		other := bandeira.TokenKey([]byte("another key of the same length.."), a.PAN)
		require.NotEqual(t, c, bandeira.TokenCryptogram(other, &a, 7))
	})
}

func TestAccountVerification(t *testing.T) {
	cases := []struct {
		name    string
		a       bandeira.Authorization
		verify  bool
		isASale bool
	}{
		{"an 0100 of amount 0 with processing code 00", bandeira.Authorization{MTI: "0100", ProcessingCode: "000000", AmountPresent: true}, true, false},
		{"its repeat", bandeira.Authorization{MTI: "0101", ProcessingCode: "000000", AmountPresent: true}, true, false},
		{"an 0100 of R$ 1.00", bandeira.Authorization{MTI: "0100", ProcessingCode: "000000", Amount: 100, AmountPresent: true}, false, true},
		{"an 0200 of amount 0", bandeira.Authorization{MTI: "0200", ProcessingCode: "000000", AmountPresent: true}, false, true},
		{"an 0100 without field 4", bandeira.Authorization{MTI: "0100", ProcessingCode: "000000"}, false, true},
		{"a balance inquiry", bandeira.Authorization{MTI: "0100", ProcessingCode: "310000", AmountPresent: true}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.verify, c.a.IsAccountVerification(), "account verification")
			require.Equal(t, c.isASale, c.a.IsSale(), "sale")
		})
	}
}

func TestIsReference(t *testing.T) {
	for _, ok := range []string{"a", "card_01-AB", "abcdefghijklmnopqrstuvwxyz012345"} {
		require.True(t, bandeira.IsReference(ok), ok)
	}
	for _, bad := range []string{"", "a b", "é", "card/1", "abcdefghijklmnopqrstuvwxyz0123456"} {
		require.False(t, bandeira.IsReference(bad), bad)
	}
}
