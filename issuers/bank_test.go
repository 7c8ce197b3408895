package issuers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

func TestBankDecisions(t *testing.T) {
	cfg := testConfig()
	bb, _ := mustBank(t, issuers.BancoDoBrasil, cfg)
	visaCredit := card(t, cfg, "40000101", "", 3)
	visaDebit := card(t, cfg, "40000102", "", 4)
	scenario := func(name string) issuers.Card { return card(t, cfg, "40000102", name, 0) }
	withPIN := func(a bandeira.Authorization, pin string) bandeira.Authorization {
		blk, err := bandeira.EncodePINBlock(pin, a.PAN)
		require.NoError(t, err)
		a.PINBlock = blk
		return a
	}
	otherPIN := func(c issuers.Card) string {
		if c.PIN == "0000" {
			return "1111"
		}
		return "0000"
	}
	purchase := func(c issuers.Card, amount bandeira.Amount, stan int) bandeira.Authorization {
		return request(bandeira.MTIAuthorization, "000000", c, amount, stan)
	}

	tests := []struct {
		name string
		req  bandeira.Authorization
		want bandeira.ResponseCode
	}{
		{"approves a purchase within the balance", purchase(visaDebit, 1000, 1), bandeira.Approved},
		{"approves a purchase with the right expiry, CVV2 and PIN", func() bandeira.Authorization {
			a := withPIN(purchase(visaDebit, 1000, 2), visaDebit.PIN)
			a.Expiry, a.CVV2 = visaDebit.Expiry, visaDebit.CVV2
			return a
		}(), bandeira.Approved},
		{"approves a cash withdrawal as a financial request", request(bandeira.MTIFinancial, "010000", visaCredit, 5000, 3), bandeira.Approved},
		{"approves a refund", request(bandeira.MTIFinancial, "200000", visaDebit, 5000, 4), bandeira.Approved},
		{"approves a balance inquiry", request(bandeira.MTIFinancial, "310000", visaDebit, 0, 5), bandeira.Approved},
		{"declines with 14 a PAN failing Luhn", func() bandeira.Authorization {
			a := purchase(visaDebit, 100, 6)
			d := []byte(a.PAN.Digits())
			d[15] = '0' + (d[15]-'0'+1)%10
			a.PAN = bandeira.PAN(d)
			return a
		}(), bandeira.InvalidCardNumber},
		{"declines with 14 a serial beyond CardsPerBIN", purchase(issuers.Card{PAN: panOf("40000102", 20)}, 100, 7), bandeira.InvalidCardNumber},
		{"declines with 14 an unused serial of the scenario block", purchase(issuers.Card{PAN: panOf("40000102", 9_999_950)}, 100, 8), bandeira.InvalidCardNumber},
		{"declines with 14 another bank's card", purchase(card(t, cfg, "52600102", "", 0), 100, 9), bandeira.InvalidCardNumber},
		{"declines with 14 a PAN of 19 digits", purchase(issuers.Card{PAN: "4000010200000000006"}, 100, 10), bandeira.InvalidCardNumber},
		{"declines with 12 a network management message", request(bandeira.MTINetworkManagement, "000000", visaDebit, 0, 11), bandeira.InvalidTransaction},
		{"declines with 12 a response MTI", request("0110", "000000", visaDebit, 100, 12), bandeira.InvalidTransaction},
		{"declines with 12 an unsupported processing code", request(bandeira.MTIAuthorization, "990000", visaDebit, 100, 13), bandeira.InvalidTransaction},
		{"declines with 13 a purchase without amount", func() bandeira.Authorization {
			a := purchase(visaDebit, 0, 14)
			a.AmountPresent = false
			return a
		}(), bandeira.InvalidAmount},
		{"declines with 41 a lost card", purchase(scenario(issuers.ScenarioLost), 100, 15), bandeira.LostCard},
		{"declines with 43 a stolen card", purchase(scenario(issuers.ScenarioStolen), 100, 16), bandeira.StolenCard},
		{"declines with 62 a blocked card", purchase(scenario(issuers.ScenarioBlocked), 100, 17), bandeira.RestrictedCard},
		{"declines with 54 an expired card", purchase(scenario(issuers.ScenarioExpired), 100, 18), bandeira.ExpiredCard},
		{"declines with 54 a field 14 that is not the card's expiry", func() bandeira.Authorization {
			a := purchase(visaDebit, 100, 19)
			a.Expiry = "2001"
			return a
		}(), bandeira.ExpiredCard},
		{"declines with N7 a wrong CVV2", func() bandeira.Authorization {
			a := purchase(visaDebit, 100, 20)
			a.CVV2 = "12"
			return a
		}(), bandeira.CVV2Mismatch},
		{"declines with 55 a wrong PIN", withPIN(purchase(scenario(issuers.ScenarioWrongPIN), 100, 21), otherPIN(scenario(issuers.ScenarioWrongPIN))), bandeira.IncorrectPIN},
		{"declines with 55 a PIN block that is not hex", func() bandeira.Authorization {
			a := purchase(visaCredit, 100, 22)
			a.PINBlock = "ZZZZZZZZZZZZZZZZ"
			return a
		}(), bandeira.IncorrectPIN},
		{"declines with 61 an amount above the per-transaction limit", purchase(visaCredit, 500_001, 23), bandeira.ExceedsAmountLimit},
		{"approves an amount at the per-transaction limit", purchase(visaCredit, 500_000, 24), bandeira.Approved},
		{"declines with 51 an insufficient-funds card", purchase(scenario(issuers.ScenarioInsufficientFunds), 101, 25), bandeira.InsufficientFunds},
		{"approves the insufficient-funds card up to R$ 1.00", purchase(card(t, cfg, "40000101", issuers.ScenarioInsufficientFunds, 0), 100, 26), bandeira.Approved},
		{"declines with 94 a second request under an approved key with another amount", purchase(visaDebit, 2000, 1), bandeira.DuplicateTransmission},
		{"answers an identical retransmit of an approved request with the stored approval", purchase(visaDebit, 1000, 1), bandeira.Approved},
		{"answers a slow card after the delay", purchase(scenario(issuers.ScenarioSlow), 100, 27), bandeira.Approved},
		{"lets lost cards be reversed", reversalOf(purchase(scenario(issuers.ScenarioLost), 100, 28), 29), bandeira.Approved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := authorize(t, bb, tt.req)
			require.Equal(t, tt.want, res.Code)
			require.Equal(t, issuers.BancoDoBrasil, res.Issuer)
			if tt.want == bandeira.InvalidCardNumber {
				require.Empty(t, res.Brand)
				require.Empty(t, res.Product)
				return
			}
			require.Equal(t, bandeira.BrandOf(tt.req.PAN), res.Brand)
			require.True(t, res.Product.Valid())
			switch {
			case tt.req.MTI.Class() == '4': // a reversal of nothing: no auth code, no amount in effect
				require.Empty(t, res.AuthCode)
				require.Nil(t, res.Remaining)
			case tt.want == bandeira.Approved:
				require.Regexp(t, `^[0-9A-Z]{6}$`, res.AuthCode)
			default:
				require.Empty(t, res.AuthCode)
			}
		})
	}

	t.Run("reports the product of the card's BIN row", func(t *testing.T) {
		require.Equal(t, bandeira.Credit, authorize(t, bb, purchase(visaCredit, 1, 40)).Product)
		require.Equal(t, bandeira.Debit, authorize(t, bb, purchase(visaDebit, 1, 41)).Product)
	})
}

func TestBankPINTries(t *testing.T) {
	cfg := testConfig()
	b, _ := mustBank(t, issuers.Nubank, cfg)
	c := card(t, cfg, "52600102", issuers.ScenarioWrongPIN, 0)
	try := func(pin string, stan int) bandeira.ResponseCode {
		a := request(bandeira.MTIAuthorization, "000000", c, 100, stan)
		var err error
		a.PINBlock, err = bandeira.EncodePINBlock(pin, c.PAN)
		require.NoError(t, err)
		return authorize(t, b, a).Code
	}
	wrong := "0000"
	if c.PIN == wrong {
		wrong = "9999"
	}

	t.Run("answers 55, 55, then 75 from the third wrong PIN in a row", func(t *testing.T) {
		require.Equal(t, bandeira.IncorrectPIN, try(wrong, 1))
		require.Equal(t, bandeira.IncorrectPIN, try(wrong, 2))
		require.Equal(t, bandeira.PINTriesExceeded, try(wrong, 3))
		require.Equal(t, bandeira.PINTriesExceeded, try(wrong, 4))
	})

	t.Run("still approves requests without a PIN while locked", func(t *testing.T) {
		require.Equal(t, bandeira.Approved, authorize(t, b, request(bandeira.MTIAuthorization, "000000", c, 100, 5)).Code)
	})

	t.Run("approves the listed PIN and resets the count", func(t *testing.T) {
		require.Equal(t, bandeira.Approved, try(c.PIN, 6))
		require.Equal(t, bandeira.IncorrectPIN, try(wrong, 7))
	})

	t.Run("counts a block built for another PIN length as wrong", func(t *testing.T) {
		require.Equal(t, bandeira.IncorrectPIN, try(c.PIN+"0", 8))
	})
}

func TestBankBehaviours(t *testing.T) {
	cfg := testConfig()
	cfg.SlowDelay = time.Hour
	b, _ := mustBank(t, issuers.Sicredi, cfg)
	purchase := func(scenario string) bandeira.Authorization {
		return request(bandeira.MTIAuthorization, "000000", card(t, cfg, "47480102", scenario, 0), 100, 1)
	}

	t.Run("an issuer-down card returns ErrIssuerUnavailable, which the edge maps to 91", func(t *testing.T) {
		res, err := b.Authorize(context.Background(), purchase(issuers.ScenarioIssuerDown))
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
		require.Equal(t, issuers.Sicredi, res.Issuer)
	})

	t.Run("a no-answer card returns when its context is cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := b.Authorize(ctx, purchase(issuers.ScenarioNoAnswer))
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("answered before cancel: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})

	t.Run("a slow card gives up with the context's deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_, err := b.Authorize(ctx, purchase(issuers.ScenarioSlow))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
	})

	t.Run("reversals and advices of an issuer-down card are applied: they act by key, and store-and-forward must land", func(t *testing.T) {
		res, err := b.Authorize(context.Background(), reversalOf(purchase(issuers.ScenarioIssuerDown), 2))
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		adv := purchase(issuers.ScenarioNoAnswer)
		adv.MTI, adv.STAN, adv.ResponseCode, adv.AuthCode = bandeira.MTIAuthorizationAdvice, "000003", bandeira.Approved, "STIP01"
		res, err = b.Authorize(context.Background(), adv)
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		_, err = b.Authorize(context.Background(), purchase(issuers.ScenarioIssuerDown))
		require.True(t, errors.Is(err, bandeira.ErrIssuerUnavailable), "requests still fail")
	})
}

func TestNewBank(t *testing.T) {
	log := zerolog.New(zerolog.NewTestWriter(t))

	t.Run("builds every bank with its institution ID", func(t *testing.T) {
		banks, err := issuers.New(testConfig(), log, nil, nil)
		require.NoError(t, err)
		require.Len(t, banks, 3)
		for name, id := range map[string]string{issuers.BancoDoBrasil: "001", issuers.Nubank: "260", issuers.Sicredi: "748"} {
			require.Equal(t, name, banks[name].Name())
			require.Equal(t, id, banks[name].InstitutionID())
		}
	})

	t.Run("rejects a bank the config does not list", func(t *testing.T) {
		cfg := testConfig()
		cfg.Banks = cfg.Banks[:1]
		_, err := issuers.NewBank(issuers.Nubank, cfg, log, nil, nil)
		require.ErrorIs(t, err, issuers.ErrUnknownBank)
	})

	t.Run("rejects an invalid config", func(t *testing.T) {
		cfg := testConfig()
		cfg.CardsPerBIN = 0
		_, err := issuers.New(cfg, log, nil, nil)
		require.ErrorIs(t, err, issuers.ErrInvalidConfig)
	})

	t.Run("recognises regular cards up to the scenario block at ten million per BIN", func(t *testing.T) {
		cfg := testConfig()
		cfg.CardsPerBIN = issuers.MaxCardsPerBIN
		b, err := issuers.NewBank(issuers.BancoDoBrasil, cfg, log, nil, func() time.Time { return testNow })
		require.NoError(t, err)
		last := request(bandeira.MTIAuthorization, "300000", issuers.Card{PAN: panOf("40000102", 9_999_899)}, 0, 1)
		require.Equal(t, bandeira.Approved, authorize(t, b, last).Code)
		lost := request(bandeira.MTIAuthorization, "000000", issuers.Card{PAN: panOf("40000102", 9_999_902)}, 100, 2)
		require.Equal(t, bandeira.LostCard, authorize(t, b, lost).Code)
	})
}
