package acquirer

import (
	"bytes"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func mustAcquirer(tb testing.TB, cfg Config) (*Acquirer, *Metrics) {
	tb.Helper()
	m := NewMetrics(prometheus.NewRegistry())
	a, err := New(cfg, zerolog.New(zerolog.NewTestWriter(tb)), m)
	require.NoError(tb, err)
	return a, m
}

// value reads a counter. (prometheus/testutil needs a module missing from go.sum.)
func value(tb testing.TB, c prometheus.Counter) float64 {
	tb.Helper()
	var out dto.Metric
	require.NoError(tb, c.Write(&out))
	return out.GetCounter().GetValue()
}

func TestNew(t *testing.T) {
	t.Run("rejects an invalid config", func(t *testing.T) {
		a, err := New(mutate(func(c *Config) { c.DefaultPlan = "gold" }), zerolog.Nop(), nil)
		require.ErrorContains(t, err, `building acquirer: default_plan "gold"`)
		require.Nil(t, a)
	})
	t.Run("lists the configured merchants in order", func(t *testing.T) {
		a, _ := mustAcquirer(t, DefaultConfig())
		var want []bandeira.Merchant
		for _, mc := range DemoMerchants() {
			want = append(want, mc.Merchant())
		}
		require.Equal(t, want, a.Merchants())
		a.Merchants()[0].Name = "changed"
		require.Equal(t, want, a.Merchants(), "callers own the returned slice")
	})
	t.Run("finds a merchant by ID", func(t *testing.T) {
		a, _ := mustAcquirer(t, DefaultConfig())
		m, ok := a.Merchant("PADARIA00000001")
		require.True(t, ok)
		require.Equal(t, bandeira.Merchant{ID: "PADARIA00000001", Name: "Padaria Pao Quente", MCC: "5462", City: "Sao Paulo"}, m)
		_, ok = a.Merchant("NOPE")
		require.False(t, ok)
	})
}

func TestPrice(t *testing.T) {
	a, _ := mustAcquirer(t, DefaultConfig())
	tests := []struct {
		name     string
		merchant string
		brand    bandeira.Brand
		product  bandeira.Product
		amount   bandeira.Amount
		want     bandeira.Fee
	}{
		{"prices the WhatsApp shop's R$100.00 credit sale at 3.99% (net 96.01)", DefaultMerchant().ID, bandeira.Visa, bandeira.Credit, 10000,
			fee(10000, 399, 165, 10, 224)},
		{"prices the WhatsApp shop's debit sale at 3.99% too", DefaultMerchant().ID, bandeira.Mastercard, bandeira.Debit, 10000,
			fee(10000, 399, 50, 10, 339)},
		{"prices the padaria's debit sale on the standard plan", "PADARIA00000001", bandeira.Mastercard, bandeira.Debit, 10000,
			fee(10000, 199, 50, 10, 139)},
		{"prices the pharmacy's prepaid sale on the standard plan", "FARMACIA0000001", bandeira.Visa, bandeira.Prepaid, 10000,
			fee(10000, 249, 70, 10, 169)},
		{"prices an unknown merchant on the default plan", "MY-OWN-POS", bandeira.Visa, bandeira.Credit, 10000,
			fee(10000, 349, 165, 10, 174)},
		{"prices an empty merchant ID on the default plan", "", bandeira.Visa, bandeira.Debit, 5000,
			fee(5000, 100, 25, 5, 70)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Price(bandeira.Sale{MerchantID: tt.merchant, Brand: tt.brand, Product: tt.product, Amount: tt.amount})
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("uses the configured default plan for unknown merchants", func(t *testing.T) {
		wa, _ := mustAcquirer(t, mutate(func(c *Config) { c.DefaultPlan = PlanWhatsApp2020 }))
		got, err := wa.Price(bandeira.Sale{MerchantID: "MY-OWN-POS", Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 10000})
		require.NoError(t, err)
		require.Equal(t, fee(10000, 399, 165, 10, 224), got)
	})
}

func TestPriceRejects(t *testing.T) {
	tests := []struct {
		name    string
		brand   bandeira.Brand
		product bandeira.Product
		amount  bandeira.Amount
		want    error
	}{
		{"an unknown brand", "elo", bandeira.Credit, 100, ErrUnknownBrand},
		{"an empty brand", "", bandeira.Credit, 100, ErrUnknownBrand},
		{"an unknown product", bandeira.Visa, "combo", 100, ErrUnknownProduct},
		{"an empty product", bandeira.Visa, "", 100, ErrUnknownProduct},
		{"a negative amount", bandeira.Visa, bandeira.Credit, -1, ErrInvalidAmount},
		{"an amount beyond twelve digits", bandeira.Visa, bandeira.Credit, MaxAmount + 1, ErrInvalidAmount},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name+" and counts nothing", func(t *testing.T) {
			a, m := mustAcquirer(t, DefaultConfig())
			_, err := a.Price(bandeira.Sale{MerchantID: "PADARIA00000001", Brand: tt.brand, Product: tt.product, Amount: tt.amount})
			require.ErrorIs(t, err, tt.want)
			require.Equal(t, 0.0, value(t, m.Sales.WithLabelValues("visa", "credit", "a_vista")))
			require.Equal(t, 0.0, value(t, m.Sales.WithLabelValues(string(tt.brand), string(tt.product), "a_vista")))
		})
	}
}

func TestPriceMetrics(t *testing.T) {
	t.Run("counts sales, volume and every fee kind exactly, unknown merchants included", func(t *testing.T) {
		a, m := mustAcquirer(t, DefaultConfig())
		sales := []struct {
			merchant string
			brand    bandeira.Brand
			product  bandeira.Product
			amount   bandeira.Amount
		}{
			{DefaultMerchant().ID, bandeira.Visa, bandeira.Credit, 10000},  // 399 = 165 + 10 + 224
			{"PADARIA00000001", bandeira.Visa, bandeira.Credit, 10000},     // 349 = 165 + 10 + 174
			{"UNKNOWN", bandeira.Visa, bandeira.Credit, 1000},              // 35 = 17 + 1 + 17
			{"PADARIA00000001", bandeira.Mastercard, bandeira.Debit, 5000}, // 100 = 25 + 5 + 70
		}
		for _, s := range sales {
			_, err := a.Price(bandeira.Sale{MerchantID: s.merchant, Brand: s.brand, Product: s.product, Amount: s.amount})
			require.NoError(t, err)
		}
		require.Equal(t, 3.0, value(t, m.Sales.WithLabelValues("visa", "credit", "a_vista")))
		require.Equal(t, 21000.0, value(t, m.Volume.WithLabelValues("visa", "credit", "a_vista")))
		require.Equal(t, 783.0, value(t, m.Fees.WithLabelValues("visa", "credit", "a_vista", KindMDR)))
		require.Equal(t, 347.0, value(t, m.Fees.WithLabelValues("visa", "credit", "a_vista", KindInterchange)))
		require.Equal(t, 21.0, value(t, m.Fees.WithLabelValues("visa", "credit", "a_vista", KindBrand)))
		require.Equal(t, 415.0, value(t, m.Fees.WithLabelValues("visa", "credit", "a_vista", KindAcquirer)))
		require.Equal(t, 1.0, value(t, m.Sales.WithLabelValues("mastercard", "debit", "a_vista")))
		require.Equal(t, 5000.0, value(t, m.Volume.WithLabelValues("mastercard", "debit", "a_vista")))
		require.Equal(t, 100.0, value(t, m.Fees.WithLabelValues("mastercard", "debit", "a_vista", KindMDR)))
		require.Equal(t, 70.0, value(t, m.Fees.WithLabelValues("mastercard", "debit", "a_vista", KindAcquirer)))
		require.Equal(t, 0.0, value(t, m.Sales.WithLabelValues("visa", "debit", "a_vista")))
	})
	t.Run("counts volume and fees by installment band under the same labels, for the effective MDR", func(t *testing.T) {
		a, m := mustAcquirer(t, DefaultConfig())
		for _, s := range []bandeira.Sale{
			{MerchantID: "PADARIA00000001", Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 10000, Installments: lojista(3)},  // 399
			{MerchantID: "PADARIA00000001", Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 30000, Installments: lojista(6)},  // 1197
			{MerchantID: "PADARIA00000001", Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 10000, Installments: lojista(10)}, // 449
			{MerchantID: "PADARIA00000001", Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 10000, Installments: emissor(18)}, // 349
			{MerchantID: "PADARIA00000001", Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 10000},                            // 349
		} {
			_, err := a.Price(s)
			require.NoError(t, err)
		}
		for _, c := range []struct {
			band          Band
			sales, volume float64
			mdr           float64
		}{
			{BandLojista2To6, 2, 40000, 1596},
			{BandLojista7To12, 1, 10000, 449},
			{BandEmissor, 1, 10000, 349},
			{BandAVista, 1, 10000, 349},
		} {
			require.Equal(t, c.sales, value(t, m.Sales.WithLabelValues("visa", "credit", string(c.band))), c.band)
			require.Equal(t, c.volume, value(t, m.Volume.WithLabelValues("visa", "credit", string(c.band))), c.band)
			require.Equal(t, c.mdr, value(t, m.Fees.WithLabelValues("visa", "credit", string(c.band), KindMDR)), c.band)
		}
	})
	t.Run("does not panic or count down on a negative rounding margin", func(t *testing.T) {
		cfg := mutate(func(c *Config) {
			c.Plans["cost"] = uniformPlan([5]Rate{{MDR: 60, Interchange: 50, BrandFee: 10}, standardRates[1], standardRates[2], standardRates[3], standardRates[4]})
			c.DefaultPlan = "cost"
		})
		a, m := mustAcquirer(t, cfg)
		f, err := a.Price(bandeira.Sale{MerchantID: "UNKNOWN", Brand: bandeira.Visa, Product: bandeira.Debit, Amount: 500})
		require.NoError(t, err)
		require.Equal(t, bandeira.Amount(-1), f.AcquirerMargin)
		require.Equal(t, 3.0, value(t, m.Fees.WithLabelValues("visa", "debit", "a_vista", KindMDR)))
		require.Equal(t, 0.0, value(t, m.Fees.WithLabelValues("visa", "debit", "a_vista", KindAcquirer)))
	})
	t.Run("registers the families under their documented names", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		_, err := New(DefaultConfig(), zerolog.Nop(), NewMetrics(reg))
		require.NoError(t, err)
		families, err := reg.Gather()
		require.NoError(t, err)
		var names []string
		for _, f := range families {
			names = append(names, f.GetName())
		}
		require.Equal(t, []string{
			"bandeira_acquirer_fees_centavos_total",
			"bandeira_acquirer_journal_commit_duration_seconds",
			"bandeira_acquirer_journal_reads_total",
			"bandeira_acquirer_sales_total",
			"bandeira_acquirer_volume_centavos_total",
		}, names, "journal entries appear once one is counted")
	})
}

func TestPriceConcurrently(t *testing.T) {
	t.Run("prices from many goroutines and counts every sale", func(t *testing.T) {
		a, m := mustAcquirer(t, DefaultConfig())
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 500 {
					_, _ = a.Price(bandeira.Sale{MerchantID: DefaultMerchant().ID, Brand: bandeira.Mastercard, Product: bandeira.Prepaid, Amount: 10000})
				}
			})
		}
		wg.Wait()
		require.Equal(t, 4000.0, value(t, m.Sales.WithLabelValues("mastercard", "prepaid", "a_vista")))
		require.Equal(t, 4000.0*399, value(t, m.Fees.WithLabelValues("mastercard", "prepaid", "a_vista", KindMDR)))
	})
}

func TestPriceLogs(t *testing.T) {
	t.Run("logs unknown merchants at debug with the component", func(t *testing.T) {
		var buf bytes.Buffer
		a, err := New(DefaultConfig(), zerolog.New(&buf).Level(zerolog.DebugLevel), nil)
		require.NoError(t, err)
		_, err = a.Price(bandeira.Sale{MerchantID: "MY-OWN-POS", Brand: bandeira.Visa, Product: bandeira.Debit, Amount: 100})
		require.NoError(t, err)
		require.Contains(t, buf.String(), `"component":"acquirer"`)
		require.Contains(t, buf.String(), `"merchant_id":"MY-OWN-POS"`)
	})
}

func BenchmarkPrice(b *testing.B) {
	a, err := New(DefaultConfig(), zerolog.Nop(), NewMetrics(prometheus.NewRegistry()))
	require.NoError(b, err)
	for _, c := range []struct {
		name, merchant string
		inst           *bandeira.Installments
	}{
		{"known merchant", DefaultMerchant().ID, nil},
		{"unknown merchant", "MY-OWN-POS", nil},
		{"lojista 10x", DefaultMerchant().ID, lojista(10)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			sale := bandeira.Sale{MerchantID: c.merchant, Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 10000, Installments: c.inst}
			for b.Loop() {
				if _, err := a.Price(sale); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
