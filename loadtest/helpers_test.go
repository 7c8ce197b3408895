package loadtest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// testCards returns regular cards of 16, 13 and 19 digits (credit cards of 16 and 19) and
// one card per decline scenario.
func testCards() []Card {
	cards := []Card{
		{PAN: "4000010100000017", Expiry: "2912", Issuer: "bancodobrasil", Brand: "visa", Product: "credit"},
		{PAN: "5260010200000015", Expiry: "3001", Issuer: "nubank", Brand: "mastercard", Product: "debit"},
		{PAN: "4748010200003", Expiry: "2805", Issuer: "sicredi", Brand: "visa", Product: "debit"},
		{PAN: "5574810200000000019", Expiry: "2711", Issuer: "sicredi", Brand: "mastercard", Product: "debit"},
	}
	for i, s := range DeclineScenarios {
		cards = append(cards, Card{PAN: bandeira.PAN("470000000999990" + string(rune('0'+i))), Expiry: "2912", Scenario: s})
	}
	// A second credit card, of another length, for the installments templates.
	cards = append(cards, Card{PAN: "5574810300000000018", Expiry: "3104", Issuer: "sicredi", Brand: "mastercard", Product: "credit"})
	return cards
}

func testMerchant() Merchant { return DefaultConfig().Merchant }

// mustEchoServer starts an EchoServer on 127.0.0.1:0 and returns its address.
func mustEchoServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	s := NewEchoServer(zerolog.New(zerolog.NewTestWriter(tb)))
	go func() { _ = s.Serve(ln) }()
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return ln.Addr().String()
}

// fakeClock is a Clock whose Sleep advances time at once.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return true
}
