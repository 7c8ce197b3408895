package issuers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

// FuzzAuthorize feeds arbitrary field values to a bank: it must never panic, and it may
// return an error only for the issuer-down scenario (no-answer and slow cards are not
// reachable here without waiting, so their serials are skipped).
func FuzzAuthorize(f *testing.F) {
	cfg := testConfig()
	cfg.SlowDelay = 0
	b, err := issuers.NewBank(issuers.BancoDoBrasil, cfg, nopLogger(), nil, fixedNow)
	if err != nil {
		f.Fatal(err)
	}
	c := issuers.Cards(cfg)[0]
	blk, _ := bandeira.EncodePINBlock(c.PIN, c.PAN)
	f.Add("0100", c.PAN.Digits(), "000000", int64(100), c.Expiry, c.CVV2, blk, "000001")
	f.Add("0400", c.PAN.Digits(), "200000", int64(-5), "", "", "", "")
	f.Add("0200", "4000010299999072", "310000", int64(0), "9999", "1", "zz", "1")
	f.Add("01", "4", "", int64(1)<<62, "ab", "\x00", "0612254", "\xff")
	f.Fuzz(func(t *testing.T, mti, pan, proc string, amount int64, expiry, cvv2, pinBlock, stan string) {
		a := bandeira.Authorization{MTI: bandeira.MTI(mti), PAN: bandeira.PAN(pan), ProcessingCode: proc,
			Amount: bandeira.Amount(amount), AmountPresent: amount != 0, Expiry: expiry, CVV2: cvv2,
			PINBlock: pinBlock, STAN: stan, AcquirerID: "1", TransmissionTime: "0615120000"}
		if len(pan) == 16 && pan[8:15] >= "9999907" && pan[8:15] <= "9999908" {
			return // no-answer or slow: would block or wait
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a no-answer card must not hang the fuzzer either
		res, err := b.Authorize(ctx, a)
		if err != nil && !errors.Is(err, bandeira.ErrIssuerUnavailable) && !errors.Is(err, context.Canceled) {
			t.Fatalf("unexpected error: %v", err)
		}
		if err == nil && res.Code == "" {
			t.Fatal("no response code")
		}
	})
}

func TestCardsOfInvalidConfig(t *testing.T) {
	t.Run("skips malformed rows and never panics", func(t *testing.T) {
		cfg := testConfig()
		cfg.CardsPerBIN = -3
		cfg.Banks[0].BINs[0].BIN = "4x"
		cfg.Banks[0].BINs[1].BIN = "400001020"
		cfg.DebitBalance = issuers.AmountRange{Min: 500, Max: 100}
		cards := issuers.Cards(cfg)
		if len(cards) != 7*9 {
			t.Fatalf("got %d cards, want only the scenario cards of the 7 valid rows", len(cards))
		}
	})
}
