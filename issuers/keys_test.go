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

// keyCase is a first request, what it gets, and a retransmit that corrects what is not
// part of the key's body (expiry, CVV2, PIN), or nothing when nothing can be corrected.
type keyCase struct {
	name    string
	first   bandeira.Authorization
	want    bandeira.ResponseCode
	correct func(a bandeira.Authorization) bandeira.Authorization
}

func keyCases(t *testing.T, cfg issuers.Config) []keyCase {
	c := card(t, cfg, "40000102", "", 2)
	scenario := func(name string) issuers.Card { return card(t, cfg, "40000102", name, 0) }
	purchase := func(c issuers.Card, amount bandeira.Amount, stan int) bandeira.Authorization {
		return request(bandeira.MTIAuthorization, "000000", c, amount, stan)
	}
	with := func(a bandeira.Authorization, f func(*bandeira.Authorization)) bandeira.Authorization {
		f(&a)
		return a
	}
	pinBlock := func(pin string, pan bandeira.PAN) string {
		blk, err := bandeira.EncodePINBlock(pin, pan)
		require.NoError(t, err)
		return blk
	}
	wrongPIN := scenario(issuers.ScenarioWrongPIN)
	other := "0000"
	if wrongPIN.PIN == other {
		other = "1111"
	}
	right := func(a bandeira.Authorization) bandeira.Authorization {
		a.Expiry, a.CVV2, a.PINBlock = c.Expiry, c.CVV2, ""
		return a
	}
	same := func(a bandeira.Authorization) bandeira.Authorization { return a }
	return []keyCase{
		{"an approval", purchase(c, 1_000, 1), bandeira.Approved, right},
		{"54 for a wrong expiry", with(purchase(c, 1_000, 2), func(a *bandeira.Authorization) { a.Expiry = "2001" }), bandeira.ExpiredCard, right},
		{"N7 for a wrong CVV2", with(purchase(c, 1_000, 3), func(a *bandeira.Authorization) { a.CVV2 = "1" }), bandeira.CVV2Mismatch, right},
		{"55 for a wrong PIN", with(purchase(wrongPIN, 100, 4), func(a *bandeira.Authorization) { a.PINBlock = pinBlock(other, a.PAN) }),
			bandeira.IncorrectPIN, func(a bandeira.Authorization) bandeira.Authorization {
				a.PINBlock = pinBlock(wrongPIN.PIN, a.PAN)
				return a
			}},
		{"54 for an expired card", purchase(scenario(issuers.ScenarioExpired), 100, 5), bandeira.ExpiredCard, same},
		{"41 for a lost card", purchase(scenario(issuers.ScenarioLost), 100, 6), bandeira.LostCard, same},
		{"43 for a stolen card", purchase(scenario(issuers.ScenarioStolen), 100, 7), bandeira.StolenCard, same},
		{"62 for a blocked card", purchase(scenario(issuers.ScenarioBlocked), 100, 8), bandeira.RestrictedCard, same},
		{"61 beyond the limit", purchase(c, cfg.MaxTransactionAmount+1, 9), bandeira.ExceedsAmountLimit, same},
		{"13 without an amount", with(purchase(c, 0, 10), func(a *bandeira.Authorization) { a.AmountPresent = false }), bandeira.InvalidAmount, same},
		{"51 beyond the balance", purchase(scenario(issuers.ScenarioInsufficientFunds), 500, 11), bandeira.InsufficientFunds, same},
		{"00 for a balance inquiry", request(bandeira.MTIFinancial, "310000", c, 0, 12), bandeira.Approved, right},
	}
}

// TestDeclinesBoundToKeys: every decision on an 0100/0200 is remembered under its key, so
// a retransmit, corrected or not, gets the same answer, before and after a restart, and
// the same key with another body gets 94.
func TestDeclinesBoundToKeys(t *testing.T) {
	cfg := testConfig()
	path := filepath.Join(t.TempDir(), "bb.db")
	open := func() (*issuers.Bank, *books.Books) {
		bk, err := books.Open(context.Background(), path, books.DefaultConfig(), books.Options{})
		require.NoError(t, err)
		b, err := issuers.NewBank(issuers.BancoDoBrasil, cfg, nopLogger(), nil, fixedNow, issuers.WithLedger(bk))
		require.NoError(t, err)
		return b, bk
	}
	b, bk := open()
	cases := keyCases(t, cfg)
	first := make([]bandeira.Result, len(cases))
	for i, c := range cases {
		t.Run(c.name+": a corrected retransmit gets the same answer", func(t *testing.T) {
			first[i] = authorize(t, b, c.first)
			require.Equal(t, c.want, first[i].Code)
			again := authorize(t, b, c.correct(c.first))
			require.Equal(t, first[i].Code, again.Code)
			require.Equal(t, first[i].AuthCode, again.AuthCode)
		})
	}
	require.NoError(t, bk.Close())
	b, bk = open()
	defer func() { require.NoError(t, bk.Close()) }()
	for i, c := range cases {
		t.Run(c.name+": after a restart too, and another body under its key gets 94", func(t *testing.T) {
			again := authorize(t, b, c.correct(c.first))
			require.Equal(t, first[i].Code, again.Code)
			require.Equal(t, first[i].AuthCode, again.AuthCode)
			repeat := c.first
			repeat.MTI = repeat.MTI.Repeat()
			require.Equal(t, first[i].Code, authorize(t, b, repeat).Code)
			for _, body := range []func(*bandeira.Authorization){
				func(a *bandeira.Authorization) { a.Amount++; a.AmountPresent = true },
				func(a *bandeira.Authorization) { a.ProcessingCode = "010000" },
				func(a *bandeira.Authorization) { a.MTI = bandeira.MTI([]byte{'0', '1' + '2' - a.MTI[1], '0', '0'}) },
				func(a *bandeira.Authorization) { a.PAN = card(t, cfg, "40000101", "", 1).PAN },
			} {
				other := c.first
				body(&other)
				require.Equal(t, bandeira.DuplicateTransmission, authorize(t, b, other).Code)
			}
		})
	}
}

func TestWrongPINsCountOncePerKey(t *testing.T) {
	cfg := testConfig()
	b, _ := mustBank(t, issuers.Nubank, cfg)
	c := card(t, cfg, "52600102", issuers.ScenarioWrongPIN, 0)
	wrong := request(bandeira.MTIAuthorization, "000000", c, 100, 1)
	pin := "0000"
	if c.PIN == pin {
		pin = "9999"
	}
	var err error
	wrong.PINBlock, err = bandeira.EncodePINBlock(pin, c.PAN)
	require.NoError(t, err)
	t.Run("retransmits of a wrong PIN answer 55 and do not count towards 75", func(t *testing.T) {
		for range 4 {
			require.Equal(t, bandeira.IncorrectPIN, authorize(t, b, wrong).Code)
		}
		next := wrong
		next.STAN = "000002"
		require.Equal(t, bandeira.IncorrectPIN, authorize(t, b, next).Code, "the second wrong PIN")
		next.STAN = "000003"
		require.Equal(t, bandeira.PINTriesExceeded, authorize(t, b, next).Code, "the third")
	})
}
