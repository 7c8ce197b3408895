package acquirer

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// halfUp is an independent reference for round_half_up(a × bps / 10000) on non-negative
// inputs: floor((2·a·bps + 10000) / 20000).
func halfUp(a bandeira.Amount, bps bandeira.BasisPoints) bandeira.Amount {
	return bandeira.Amount((2*int64(a)*int64(bps) + 10000) / 20000)
}

func fee(gross, mdr, interchange, brand, margin bandeira.Amount) bandeira.Fee {
	return bandeira.Fee{Gross: gross, MDR: mdr, Interchange: interchange, BrandFee: brand, AcquirerMargin: margin, Net: gross - mdr}
}

func TestRateFee(t *testing.T) {
	std, wa := DefaultPlans()[PlanStandard][bandeira.Visa], DefaultPlans()[PlanWhatsApp2020][bandeira.Mastercard]
	tests := []struct {
		name  string
		rate  Rate
		gross bandeira.Amount
		want  bandeira.Fee
	}{
		{"prices the worked example of docs/economics.md: R$100.00 credit on whatsapp-2020",
			wa[TierCredit], 10000, fee(10000, 399, 165, 10, 224)},
		{"prices R$100.00 standard debit at 1.99%", std[TierDebit], 10000, fee(10000, 199, 50, 10, 139)},
		{"prices R$100.00 standard prepaid at 2.49%", std[TierPrepaid], 10000, fee(10000, 249, 70, 10, 169)},
		{"prices R$100.00 standard credit at 3.49%", std[TierCredit], 10000, fee(10000, 349, 165, 10, 174)},
		{"prices whatsapp-2020 debit at 3.99% with debit interchange", wa[TierDebit], 10000, fee(10000, 399, 50, 10, 339)},
		{"prices whatsapp-2020 prepaid at 3.99% with prepaid interchange", wa[TierPrepaid], 10000, fee(10000, 399, 70, 10, 319)},
		{"rounds an MDR ending in exactly half a centavo up (99.5 → 100)", std[TierDebit], 5000, fee(5000, 100, 25, 5, 70)},
		{"rounds just below the half down (99.4801 → 99)", std[TierDebit], 4999, fee(4999, 99, 25, 5, 69)},
		{"rounds a half-centavo interchange up (0.5 → 1) and the margin absorbs it", std[TierDebit], 100, fee(100, 2, 1, 0, 1)},
		{"rounds a half-centavo brand fee up (0.5 → 1)", std[TierPrepaid], 500, fee(500, 12, 4, 1, 7)},
		{"rounds a half-centavo credit interchange up (16.5 → 17)", std[TierCredit], 1000, fee(1000, 35, 17, 1, 17)},
		{"rounds a whatsapp-2020 MDR of 598.5 up", wa[TierDebit], 15000, fee(15000, 599, 75, 15, 509)},
		{"charges nothing on one centavo", wa[TierCredit], 1, fee(1, 0, 0, 0, 0)},
		{"charges nothing on zero", std[TierCredit], 0, fee(0, 0, 0, 0, 0)},
		{"prices the largest field-4 amount without overflow", std[TierCredit], MaxAmount,
			fee(MaxAmount, 34_900_000_000, 16_500_000_000, 1_000_000_000, 17_400_000_000)},
		{"lets the margin go one centavo negative when its rate is tiny",
			Rate{MDR: 60, Interchange: 50, BrandFee: 10}, 500, fee(500, 3, 3, 1, -1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.rate.Fee(tt.gross))
		})
	}
}

func TestRateFeePartsAlwaysAddUp(t *testing.T) {
	var rates []Rate
	for _, p := range DefaultPlans() {
		for _, byProduct := range p {
			for _, r := range byProduct {
				rates = append(rates, r)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 { // arbitrary valid splits
		ic, bf, m := rng.Int64N(500), rng.Int64N(100), rng.Int64N(500)
		rates = append(rates, Rate{MDR: bandeira.BasisPoints(ic + bf + m), Interchange: bandeira.BasisPoints(ic),
			BrandFee: bandeira.BasisPoints(bf), Margin: bandeira.BasisPoints(m)})
	}
	amounts := make([]bandeira.Amount, 0, 25000)
	for a := range bandeira.Amount(20000) { // every amount up to R$200.00
		amounts = append(amounts, a)
	}
	for range 5000 {
		amounts = append(amounts, bandeira.Amount(rng.Int64N(int64(MaxAmount)+1)))
	}
	t.Run("splits every sale exactly, each part rounded half up on the gross", func(t *testing.T) {
		for _, r := range rates {
			for _, a := range amounts {
				f := r.Fee(a)
				if f.Interchange+f.BrandFee+f.AcquirerMargin != f.MDR || f.Net+f.MDR != f.Gross || f.Gross != a ||
					f.MDR != halfUp(a, r.MDR) || f.Interchange != halfUp(a, r.Interchange) || f.BrandFee != halfUp(a, r.BrandFee) {
					require.Failf(t, "bad split", "rate %+v amount %d: %+v", r, a, f)
				}
				if diff := f.AcquirerMargin - halfUp(a, r.Margin); diff < -1 || diff > 1 {
					require.Failf(t, "margin off by more than the rounding", "rate %+v amount %d: %+v", r, a, f)
				}
			}
		}
	})
}

func TestDefaultPlansAreIndependentCopies(t *testing.T) {
	t.Run("changing one result does not change the next", func(t *testing.T) {
		p := DefaultPlans()
		p[PlanStandard][bandeira.Visa][TierDebit] = Rate{}
		require.Equal(t, bandeira.BasisPoints(199), DefaultPlans()[PlanStandard][bandeira.Visa][TierDebit].MDR)
	})
}
