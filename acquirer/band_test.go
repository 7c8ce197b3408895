package acquirer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func lojista(n int) *bandeira.Installments {
	return &bandeira.Installments{Plan: bandeira.PlanLojista, Count: n}
}

func emissor(n int) *bandeira.Installments {
	return &bandeira.Installments{Plan: bandeira.PlanEmissor, Count: n}
}

func TestDefaultPlanTiers(t *testing.T) {
	// docs/economics.md, "Default fee tables": the standard plan and the flat WhatsApp 2020 plan.
	want := map[string]map[Tier]Rate{
		PlanStandard: {
			TierDebit:       {MDR: 199, Interchange: 50, BrandFee: 10, Margin: 139},
			TierPrepaid:     {MDR: 249, Interchange: 70, BrandFee: 10, Margin: 169},
			TierCredit:      {MDR: 349, Interchange: 165, BrandFee: 10, Margin: 174},
			TierCredit2To6:  {MDR: 399, Interchange: 185, BrandFee: 10, Margin: 204},
			TierCredit7To12: {MDR: 449, Interchange: 205, BrandFee: 10, Margin: 234},
		},
		PlanWhatsApp2020: {
			TierDebit:       {MDR: 399, Interchange: 50, BrandFee: 10, Margin: 339},
			TierPrepaid:     {MDR: 399, Interchange: 70, BrandFee: 10, Margin: 319},
			TierCredit:      {MDR: 399, Interchange: 165, BrandFee: 10, Margin: 224},
			TierCredit2To6:  {MDR: 399, Interchange: 185, BrandFee: 10, Margin: 204},
			TierCredit7To12: {MDR: 399, Interchange: 205, BrandFee: 10, Margin: 184},
		},
	}
	plans := DefaultPlans()
	require.Len(t, plans, len(want))
	for name, tiers := range want {
		for _, b := range []bandeira.Brand{bandeira.Visa, bandeira.Mastercard} {
			t.Run(name+" prices every "+string(b)+" tier as docs/economics.md says", func(t *testing.T) {
				require.Equal(t, tiers, plans[name][b])
			})
		}
	}
}

func TestPriceInstallmentBands(t *testing.T) {
	a, m := mustAcquirer(t, DefaultConfig())
	padaria, whatsapp := "PADARIA00000001", DefaultMerchant().ID
	tests := []struct {
		name     string
		merchant string
		product  bandeira.Product
		inst     *bandeira.Installments
		want     bandeira.Fee
		band     Band
	}{
		{"prices credit à vista at 3.49%", padaria, bandeira.Credit, nil, fee(10000, 349, 165, 10, 174), BandAVista},
		{"prices lojista 2x in the 2–6 band at 3.99%", padaria, bandeira.Credit, lojista(2), fee(10000, 399, 185, 10, 204), BandLojista2To6},
		{"prices lojista 6x in the 2–6 band", padaria, bandeira.Credit, lojista(6), fee(10000, 399, 185, 10, 204), BandLojista2To6},
		{"prices lojista 7x in the 7–12 band at 4.49%", padaria, bandeira.Credit, lojista(7), fee(10000, 449, 205, 10, 234), BandLojista7To12},
		{"prices lojista 12x in the 7–12 band", padaria, bandeira.Credit, lojista(12), fee(10000, 449, 205, 10, 234), BandLojista7To12},
		{"prices emissor 2x as à vista", padaria, bandeira.Credit, emissor(2), fee(10000, 349, 165, 10, 174), BandEmissor},
		{"prices emissor 24x as à vista", padaria, bandeira.Credit, emissor(24), fee(10000, 349, 165, 10, 174), BandEmissor},
		{"prices lojista 12x at the flat 3.99% on whatsapp-2020", whatsapp, bandeira.Credit, lojista(12), fee(10000, 399, 205, 10, 184), BandLojista7To12},
		{"prices lojista 3x at the flat 3.99% on whatsapp-2020", whatsapp, bandeira.Credit, lojista(3), fee(10000, 399, 185, 10, 204), BandLojista2To6},
		{"ignores installments on a debit sale", padaria, bandeira.Debit, lojista(3), fee(10000, 199, 50, 10, 139), BandAVista},
		{"ignores installments on a prepaid sale", padaria, bandeira.Prepaid, emissor(10), fee(10000, 249, 70, 10, 169), BandAVista},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := value(t, m.Sales.WithLabelValues("visa", string(tt.product), string(tt.band)))
			got, err := a.Price(bandeira.Sale{MerchantID: tt.merchant, Brand: bandeira.Visa, Product: tt.product, Amount: 10000, Installments: tt.inst})
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, before+1, value(t, m.Sales.WithLabelValues("visa", string(tt.product), string(tt.band))))
		})
	}
}

func TestPriceRejectsBadInstallments(t *testing.T) {
	for _, inst := range []*bandeira.Installments{
		lojista(0), lojista(1), lojista(13), emissor(1), emissor(25), emissor(-2),
		{Plan: '3', Count: 2}, {Plan: 0, Count: 2},
	} {
		t.Run("rejects plan "+string(rune(inst.Plan))+" with its count out of range and counts nothing", func(t *testing.T) {
			a, m := mustAcquirer(t, DefaultConfig())
			for _, p := range []bandeira.Product{bandeira.Credit, bandeira.Debit} {
				_, err := a.Price(bandeira.Sale{MerchantID: "PADARIA00000001", Brand: bandeira.Visa, Product: p, Amount: 100, Installments: inst})
				require.ErrorIs(t, err, ErrInvalidInstallments)
			}
			require.Zero(t, salesCounted(t, m))
		})
	}
}

// salesCounted sums every sales counter of m.
func salesCounted(tb testing.TB, m *Metrics) float64 {
	tb.Helper()
	var sum float64
	for _, b := range brands {
		for _, c := range classes {
			sum += value(tb, m.forSale(b, c).sales)
		}
	}
	return sum
}
