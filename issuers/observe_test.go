package issuers_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

// counterValue returns the sum of the decisions counters for issuer and code.
func counterValue(t *testing.T, reg *prometheus.Registry, issuer, code string) float64 {
	t.Helper()
	return decisions(t, reg, map[string]string{"issuer": issuer, "response_code": code})
}

// decisions returns the sum of the decisions counters whose labels include want.
func decisions(t *testing.T, reg *prometheus.Registry, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "bandeira_issuer_decisions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l, ok := labels(m), true
			for k, v := range want {
				ok = ok && l[k] == v
			}
			if ok {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestBankMetrics(t *testing.T) {
	cfg := testConfig()
	b, reg := mustBank(t, issuers.Nubank, cfg)
	c := card(t, cfg, "52600103", "", 0)

	t.Run("counts decisions by issuer and response code", func(t *testing.T) {
		authorize(t, b, request(bandeira.MTIAuthorization, "000000", c, 100, 1))
		authorize(t, b, request(bandeira.MTIAuthorization, "000000", c, 100, 2))
		authorize(t, b, request(bandeira.MTIAuthorization, "000000", card(t, cfg, "52600103", issuers.ScenarioStolen, 0), 100, 3))
		require.Equal(t, 2.0, counterValue(t, reg, issuers.Nubank, "00"))
		require.Equal(t, 1.0, counterValue(t, reg, issuers.Nubank, "43"))
	})

	t.Run("labels each decision with the card's brand and product", func(t *testing.T) {
		require.Equal(t, 2.0, decisions(t, reg, map[string]string{"issuer": issuers.Nubank, "brand": "mastercard",
			"product": "prepaid", "response_code": "00"}))
		require.Zero(t, decisions(t, reg, map[string]string{"product": "debit", "response_code": "00"}))
	})

	t.Run("counts a card it never issued under its PAN's brand and an unknown product", func(t *testing.T) {
		unissued := c
		unissued.PAN = panOf("52600103", cfg.CardsPerBIN+1) // beyond cards_per_bin
		require.Equal(t, bandeira.InvalidCardNumber, authorize(t, b, request(bandeira.MTIAuthorization, "000000", unissued, 100, 9)).Code)
		require.Equal(t, 1.0, decisions(t, reg, map[string]string{"brand": "mastercard", "product": "unknown", "response_code": "14"}))
	})

	t.Run("counts an undecided request under the code its error maps to", func(t *testing.T) {
		_, err := b.Authorize(context.Background(), request(bandeira.MTIAuthorization, "000000", card(t, cfg, "52600103", issuers.ScenarioIssuerDown, 0), 100, 4))
		require.Error(t, err)
		require.Equal(t, 1.0, counterValue(t, reg, issuers.Nubank, "91"))
	})

	t.Run("observes every decision's duration", func(t *testing.T) {
		mfs, err := reg.Gather()
		require.NoError(t, err)
		var count uint64
		for _, mf := range mfs {
			if mf.GetName() == "bandeira_issuer_decision_duration_seconds" {
				require.Equal(t, issuers.Nubank, labels(mf.GetMetric()[0])["issuer"])
				count = mf.GetMetric()[0].GetHistogram().GetSampleCount()
			}
		}
		require.Equal(t, uint64(5), count)
	})

	t.Run("registering twice on one registry shares the collectors", func(t *testing.T) {
		m := issuers.NewMetrics(reg)
		m.Decisions.WithLabelValues(issuers.Nubank, "mastercard", "prepaid", "00").Inc()
		require.Equal(t, 3.0, counterValue(t, reg, issuers.Nubank, "00"))
	})
}

// syncBuffer is a bytes.Buffer safe for the logger's writes.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.buf.Write(p)
}

func TestBankLogs(t *testing.T) {
	t.Run("logs each decision with a masked PAN and no secrets", func(t *testing.T) {
		cfg := testConfig()
		out := &syncBuffer{mu: make(chan struct{}, 1)}
		b, err := issuers.NewBank(issuers.Sicredi, cfg, zerolog.New(out).Level(zerolog.DebugLevel), nil, func() time.Time { return testNow })
		require.NoError(t, err)
		c := card(t, cfg, "47480101", "", 7)
		a := request(bandeira.MTIAuthorization, "000000", c, 100, 1)
		a.CVV2, a.Expiry = c.CVV2, c.Expiry
		a.PINBlock, err = bandeira.EncodePINBlock(c.PIN, c.PAN)
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, authorize(t, b, a).Code)
		a.STAN = "000002"
		a.CVV2 = "000"
		require.Equal(t, bandeira.CVV2Mismatch, authorize(t, b, a).Code)

		logs := out.buf.String()
		require.Equal(t, 2, strings.Count(logs, "\n"))
		require.Contains(t, logs, `"component":"issuer"`)
		require.Contains(t, logs, `"issuer":"sicredi"`)
		require.Contains(t, logs, `"response_code":"N7"`)
		require.Contains(t, logs, `"pan":"`+c.PAN.String()+`"`)
		require.NotContains(t, logs, c.PAN.Digits())
		require.NotContains(t, logs, a.PINBlock)
		require.NotContains(t, strings.ToLower(logs), "cvv")
		require.NotContains(t, strings.ToLower(logs), "pin")
	})
}

// BenchmarkAuthorize measures the approve path of an 0200 purchase on a debit card, in
// parallel. Each goroutine owns its cards, and cycles through more request keys per card
// than the ledger keeps, so every request is new and approved.
func BenchmarkAuthorize(b *testing.B) {
	b.ReportAllocs()
	cfg := issuers.DefaultConfig()
	cfg.DebitBalance = issuers.AmountRange{Min: 1 << 40, Max: 1 << 40}
	bank, err := issuers.NewBank(issuers.Nubank, cfg, zerolog.Nop(), issuers.NewMetrics(prometheus.NewRegistry()), nil)
	require.NoError(b, err)
	debit := make([]issuers.Card, 0, 10_000)
	for _, c := range issuers.Cards(cfg) {
		if c.Issuer == issuers.Nubank && c.Product == bandeira.Debit && c.Scenario == "" {
			debit = append(debit, c)
		}
	}
	const cardsPer, keysPer = 64, 2 * 64
	pools := make([][]bandeira.Authorization, runtime.GOMAXPROCS(0)*4)
	for p := range pools {
		for k := range cardsPer * keysPer {
			c := debit[(p*cardsPer+k%cardsPer)%len(debit)]
			pools[p] = append(pools[p], request(bandeira.MTIFinancial, "000000", c, 100, p*cardsPer*keysPer+k))
		}
	}
	var next, declined atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		pool := pools[int(next.Add(1)-1)%len(pools)]
		ctx := context.Background()
		for i := 0; pb.Next(); i++ {
			res, err := bank.Authorize(ctx, pool[i%len(pool)])
			if err != nil || res.Code != bandeira.Approved {
				declined.Add(1)
			}
		}
	})
	if n := declined.Load(); n > 0 {
		b.Fatalf("%d requests were not approved", n)
	}
}
