package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func TestBrandRouting(t *testing.T) {
	cases := []struct {
		name  string
		pan   bandeira.PAN
		brand bandeira.Brand
	}{
		{"a Visa card goes to the Visa network", testPAN(visaBIN, 7), bandeira.Visa},
		{"a 51 Mastercard goes to the Mastercard network", testPAN(masterBIN, 7), bandeira.Mastercard},
		{"a 2-series Mastercard goes to the Mastercard network", testPAN("22210000", 7), bandeira.Mastercard},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			a := purchase()
			a.PAN = c.pan
			res := authorizeOK(t, h, a)
			require.Equal(t, bandeira.Approved, res.Code)
			require.Equal(t, c.brand, res.Brand)
			want, other := h.visa, h.master
			if c.brand == bandeira.Mastercard {
				want, other = h.master, h.visa
			}
			require.EqualValues(t, 1, want.calls.Load())
			require.Zero(t, other.calls.Load())
			require.Equal(t, c.pan, want.lastRequest().PAN)
		})
	}
	t.Run("a card of an unknown brand answers 15 without routing", func(t *testing.T) {
		h := newHarness(t, nil)
		a := purchase()
		a.PAN = testPAN("60110000", 1)
		require.Equal(t, bandeira.NoSuchIssuer, authorizeOK(t, h, a).Code)
		require.Zero(t, h.routed())
	})
	t.Run("a brand with no network configured answers 15", func(t *testing.T) {
		visa := bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.Approved}, nil
		})
		g := New(DefaultConfig(), map[bandeira.Brand]bandeira.Authorizer{bandeira.Visa: visa}, nil,
			zerolog.New(zerolog.NewTestWriter(t)), NewMetrics(prometheus.NewRegistry()), nil)
		a := purchase()
		a.PAN = testPAN(masterBIN, 1)
		res, err := g.Authorize(context.Background(), a)
		require.NoError(t, err)
		require.Equal(t, bandeira.NoSuchIssuer, res.Code)
	})
	t.Run("the network sees our acquirer ID when field 32 is absent, and the sender's otherwise", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.AcquirerID = "4242" })
		authorizeOK(t, h, purchase())
		require.Equal(t, "4242", h.visa.lastRequest().AcquirerID)
		a := purchase()
		a.AcquirerID, a.STAN = "777", "000002"
		authorizeOK(t, h, a)
		require.Equal(t, "777", h.visa.lastRequest().AcquirerID)
	})
	t.Run("the network's brand and issuer are kept in the result", func(t *testing.T) {
		h := newHarness(t, nil)
		res := authorizeOK(t, h, purchase())
		require.Equal(t, "bancodobrasil", res.Issuer)
		require.Equal(t, "A1B2C3", res.AuthCode)
	})
}

func TestNetworkErrors(t *testing.T) {
	errLink := errors.New("network: link reset")
	cases := []struct {
		name string
		err  error
		code bandeira.ResponseCode
	}{
		{"an unavailable issuer is returned as is and counted as 91", bandeira.ErrIssuerUnavailable, bandeira.IssuerUnavailable},
		{"a wrapped overload is returned as is and counted as 91", fmt.Errorf("sending: %w", bandeira.ErrOverloaded), bandeira.IssuerUnavailable},
		{"any other error is returned as is and counted as 96", errLink, bandeira.SystemMalfunction},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
				return bandeira.Result{}, c.err
			}
			_, err := h.g.Authorize(context.Background(), purchase())
			require.Equal(t, c.err, err)
			require.InDelta(t, 1, requests(h, "0100", string(c.code)), 0)
			require.Empty(t, h.acq.Calls())
		})
	}
	t.Run("the network call is bounded by the request timeout", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.RequestTimeout = 20 * time.Millisecond })
		h.visa.fn = func(ctx context.Context, _ bandeira.Authorization) (bandeira.Result, error) {
			<-ctx.Done()
			return bandeira.Result{}, ctx.Err()
		}
		_, err := h.g.Authorize(context.Background(), purchase())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.InDelta(t, 1, requests(h, "0100", "91"), 0)
	})
	t.Run("a network answer without a response code becomes 96", func(t *testing.T) {
		h := newHarness(t, nil)
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{}, nil
		}
		require.Equal(t, bandeira.SystemMalfunction, authorizeOK(t, h, purchase()).Code)
	})
}

func TestBooking(t *testing.T) {
	cases := []struct {
		name   string
		mti    bandeira.MTI
		proc   string
		code   bandeira.ResponseCode
		booked bool
	}{
		{"an approved 0100 purchase is booked", "0100", "000000", "00", true},
		{"an approved 0200 cash withdrawal is booked", "0200", "010000", "00", true},
		{"an approved first-time repeat purchase is booked", "0101", "000000", "00", true},
		{"an approved refund is booked", "0200", "200000", "00", true},
		{"an approved reversal is booked", "0400", "000000", "00", true},
		{"an approved 0220 completion is booked", "0220", "000000", "00", true},
		{"an approved balance inquiry is handed over for the acquirer to ignore", "0100", "310000", "00", true},
		{"a declined purchase is not booked", "0100", "000000", "51", false},
		{"a declined reversal is not booked", "0400", "000000", "94", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.master.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
				return bandeira.Result{Code: c.code, Product: bandeira.Credit, Issuer: "nubank"}, nil
			}
			a := request(c.mti)
			a.PAN, a.ProcessingCode, a.Amount = testPAN(masterBIN, 3), c.proc, 12345
			require.Equal(t, c.code, authorizeOK(t, h, a).Code)
			if !c.booked {
				require.Empty(t, h.acq.Calls())
				return
			}
			calls := h.acq.Calls()
			require.Len(t, calls, 1)
			require.Equal(t, a.MTI, calls[0].a.MTI)
			require.Equal(t, bandeira.Amount(12345), calls[0].a.Amount)
			require.Equal(t, bandeira.Result{Code: bandeira.Approved, Brand: bandeira.Mastercard, Product: bandeira.Credit,
				Issuer: "nubank"}, calls[0].res, "the acquirer gets the brand the gateway asked and what the response carried")
			sales := 0.0
			if a.IsSale() {
				sales = 1
			}
			require.InDelta(t, sales, metricValue(t, h.reg, "bandeira_gateway_priced_total",
				map[string]string{"brand": "mastercard", "product": "credit"}), 0)
		})
	}
	t.Run("an installment sale reaches the acquirer with its plan", func(t *testing.T) {
		h := newHarness(t, nil)
		a := purchase()
		a.Installments = &bandeira.Installments{Plan: bandeira.PlanLojista, Count: 6}
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, a).Code)
		require.Equal(t, a.Installments, h.acq.Calls()[0].a.Installments)
	})
	t.Run("an approval the acquirer cannot book is answered 96, logged and counted", func(t *testing.T) {
		h := newHarness(t, nil)
		h.acq.err = errors.New("acquirer: unknown product")
		res := authorizeOK(t, h, purchase())
		require.Equal(t, bandeira.SystemMalfunction, res.Code)
		require.Empty(t, res.AuthCode, "no auth code leaves with a 96")
		require.InDelta(t, 1, metricValue(t, h.reg, "bandeira_gateway_booking_errors_total", nil), 0)
		require.InDelta(t, 1, requests(h, "0100", "96"), 0)
		require.Zero(t, seriesCount(t, h.reg, "bandeira_gateway_priced_total"))
		require.Contains(t, h.logs.String(), "could not book")
	})
	t.Run("a retransmit replayed from the duplicate store is not booked twice", func(t *testing.T) {
		h := newHarness(t, nil)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, purchase()).Code)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, purchase()).Code)
		require.Len(t, h.acq.Calls(), 1)
	})
	t.Run("a gateway without an acquirer answers normally", func(t *testing.T) {
		g := New(DefaultConfig(), map[bandeira.Brand]bandeira.Authorizer{bandeira.Visa: &fakeNetwork{}}, nil,
			zerolog.New(zerolog.NewTestWriter(t)), nil, nil)
		res, err := g.Authorize(context.Background(), purchase())
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
	})
}

func requests(h *harness, mti, code string) float64 {
	return metricValue(h.t, h.reg, "bandeira_gateway_requests_total", map[string]string{"mti": mti, "response_code": code})
}

func TestMetrics(t *testing.T) {
	t.Run("every request is counted exactly once under the code it is answered with", func(t *testing.T) {
		h := newHarness(t, nil)
		h.visa.fn = func(_ context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			if a.STAN == "000005" {
				return bandeira.Result{}, bandeira.ErrIssuerUnavailable
			}
			return bandeira.Result{Code: bandeira.Approved}, nil
		}
		send := func(edit func(a *bandeira.Authorization)) {
			a := purchase()
			edit(&a)
			_, _ = h.g.Authorize(context.Background(), a)
		}
		send(func(a *bandeira.Authorization) {})                                    // 0100 00
		send(func(a *bandeira.Authorization) { a.Amount++ })                        // 0100 94
		send(func(a *bandeira.Authorization) { a.MTI = "0101" })                    // 0101 00 replayed
		send(func(a *bandeira.Authorization) { a.STAN = "" })                       // 0100 30
		send(func(a *bandeira.Authorization) { a.PAN = "4000010100000002" })        // 0100 14
		send(func(a *bandeira.Authorization) { a.STAN = "000005" })                 // 0100 91 (error)
		send(func(a *bandeira.Authorization) { a.MTI = "0120" })                    // other 12
		send(func(a *bandeira.Authorization) { *a = request("0800") })              // other 12
		send(func(a *bandeira.Authorization) { a.MTI = "0200"; a.STAN = "000006" }) // 0200 00

		want := map[[2]string]float64{
			{"0100", "00"}: 1, {"0100", "94"}: 1, {"0101", "00"}: 1, {"0100", "30"}: 1, {"0100", "14"}: 1,
			{"0100", "91"}: 1, {"other", "12"}: 2, {"0200", "00"}: 1,
		}
		for k, v := range want {
			require.InDelta(t, v, requests(h, k[0], k[1]), 0, "mti %s code %s", k[0], k[1])
		}
		require.Equal(t, len(want), seriesCount(t, h.reg, "bandeira_gateway_requests_total"))
		dur := func(mti string) float64 {
			return metricValue(t, h.reg, "bandeira_gateway_request_duration_seconds", map[string]string{"mti": mti})
		}
		require.InDelta(t, 5, dur("0100"), 0)
		require.InDelta(t, 1, dur("0101"), 0)
		require.InDelta(t, 2, dur("other"), 0)
		require.InDelta(t, 1, duplicates(h, duplicateRejected), 0)
		require.InDelta(t, 1, duplicates(h, duplicateReplayed), 0)
		require.Zero(t, metricValue(t, h.reg, "bandeira_gateway_in_flight", nil))
	})
	t.Run("the in-flight gauge counts requests inside the gateway", func(t *testing.T) {
		h := newHarness(t, nil)
		entered, release := blockingNetwork(h)
		done := make(chan struct{})
		go func() { _, _ = h.g.Authorize(context.Background(), purchase()); close(done) }()
		receive(t, entered)
		require.InDelta(t, 1, metricValue(t, h.reg, "bandeira_gateway_in_flight", nil), 0)
		close(release)
		receive(t, done)
		require.Zero(t, metricValue(t, h.reg, "bandeira_gateway_in_flight", nil))
	})
}

func TestLogs(t *testing.T) {
	t.Run("the request line carries the fields ops need and only a masked PAN", func(t *testing.T) {
		h := newHarness(t, nil)
		a := purchase()
		authorizeOK(t, h, a)
		line := h.logs.String()
		for _, want := range []string{`"component":"gateway"`, `"mti":"0100"`, `"stan":"000001"`,
			`"rrn":"501510000001"`, `"brand":"visa"`, `"issuer":"bancodobrasil"`,
			`"response_code":"00"`, `"latency_ms":`, `"pan":"400001******` + a.PAN.Last4() + `"`} {
			require.Contains(t, line, want)
		}
	})
	t.Run("no log line ever holds a full PAN, CVV2 or PIN block", func(t *testing.T) {
		h := newHarness(t, nil)
		h.acq.err = errors.New("acquirer: unknown merchant")
		a := purchase()
		a.CVV2, a.PINBlock = "987", "0123456789ABCDEF"
		authorizeOK(t, h, a)
		b := a
		b.STAN = ""
		authorizeOK(t, h, b)
		c := a
		c.PAN, c.STAN = "4000010100000002", "000002"
		authorizeOK(t, h, c)
		logs := h.logs.String()
		for _, secret := range []string{a.PAN.Digits(), c.PAN.Digits(), `"987"`, a.PINBlock} {
			require.NotContains(t, logs, secret)
		}
		require.Greater(t, strings.Count(logs, "\n"), 3)
	})
}
