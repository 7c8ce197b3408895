package issuers_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

// testNow is the fixed clock of the tests: June 2026.
var testNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func testConfig() issuers.Config {
	c := issuers.DefaultConfig()
	c.CardsPerBIN = 20
	c.SlowDelay = 10 * time.Millisecond
	return c
}

// mustBank builds a bank with a fresh registry and a test logger at debug level.
func mustBank(tb testing.TB, name string, cfg issuers.Config) (*issuers.Bank, *prometheus.Registry) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	log := zerolog.New(zerolog.NewTestWriter(tb)).Level(zerolog.DebugLevel)
	b, err := issuers.NewBank(name, cfg, log, issuers.NewMetrics(reg), func() time.Time { return testNow })
	require.NoError(tb, err)
	return b, reg
}

// card returns the card of the given BIN: the regular one with index serial when scenario
// is "", otherwise the row's scenario card.
func card(tb testing.TB, cfg issuers.Config, bin, scenario string, serial int) issuers.Card {
	tb.Helper()
	n := 0
	for _, c := range issuers.Cards(cfg) {
		if c.PAN.BIN(len(bin)) != bin || c.Scenario != scenario {
			continue
		}
		if scenario != "" || n == serial {
			return c
		}
		n++
	}
	tb.Fatalf("no card for BIN %s scenario %q serial %d", bin, scenario, serial)
	return issuers.Card{}
}

// panOf builds a Luhn-valid 16-digit PAN from a BIN and a serial.
func panOf(bin string, serial int) bandeira.PAN {
	body := fmt.Sprintf("%s%0*d", bin, 15-len(bin), serial)
	return bandeira.PAN(body + string(bandeira.LuhnCheckDigit(body)))
}

// request builds an authorization for c. stan also varies the transmission time, so each
// stan is a distinct request key.
func request(mti bandeira.MTI, proc string, c issuers.Card, amount bandeira.Amount, stan int) bandeira.Authorization {
	return bandeira.Authorization{
		MTI: mti, PAN: c.PAN, ProcessingCode: proc, Amount: amount, AmountPresent: true,
		TransmissionTime: "0615120000", STAN: fmt.Sprintf("%06d", stan), AcquirerID: "12345",
		TerminalID: "TERM0001", RRN: fmt.Sprintf("6166%08d", stan), Currency: bandeira.CurrencyBRL,
	}
}

// reversalOf builds a 0400 that reverses orig.
func reversalOf(orig bandeira.Authorization, stan int) bandeira.Authorization {
	r := orig
	r.MTI = bandeira.MTIReversal
	r.STAN = fmt.Sprintf("%06d", stan)
	r.Original = &bandeira.OriginalData{MTI: orig.MTI, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime,
		AcquirerID: fmt.Sprintf("%011s", orig.AcquirerID)}
	return r
}

func authorize(tb testing.TB, b *issuers.Bank, a bandeira.Authorization) bandeira.Result {
	tb.Helper()
	res, err := b.Authorize(context.Background(), a)
	require.NoError(tb, err)
	return res
}

// inquiries numbers the balance inquiries of the tests: each is a request of its own key.
var inquiries atomic.Int64

// balances asks the bank for c's balances with a balance inquiry.
func balances(tb testing.TB, b *issuers.Bank, c issuers.Card) bandeira.Balances {
	tb.Helper()
	res := authorize(tb, b, request(bandeira.MTIAuthorization, "300000", c, 0, 900_000+int(inquiries.Add(1))))
	require.Equal(tb, bandeira.Approved, res.Code)
	require.NotNil(tb, res.Balances)
	return *res.Balances
}

func fixedNow() time.Time { return testNow }

func nopLogger() zerolog.Logger { return zerolog.Nop() }
