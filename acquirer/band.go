package acquirer

import (
	"fmt"

	"github.com/bandeira/bandeira"
)

// Band says how a sale is paid out and priced: à vista, parcelado emissor, or parcelado
// lojista in the 2–6 or 7–12 band. It is the band label of the acquirer's metrics.
type Band string

// The bands. Installments apply to credit only: a debit or prepaid sale that carries an
// installment plan is priced and settled à vista, in BandAVista.
const (
	BandAVista       Band = "a_vista"      // single payment
	BandEmissor      Band = "emissor"      // issuer-financed, 2–24: priced and paid as à vista
	BandLojista2To6  Band = "lojista_2_6"  // merchant-financed, 2–6 monthly legs
	BandLojista7To12 Band = "lojista_7_12" // merchant-financed, 7–12 monthly legs
)

// Installment count limits (docs/economics.md, "Installments").
const (
	MaxLojistaInstallments = 12
	MaxEmissorInstallments = 24
)

// class is one way a sale can be priced and settled: its product, band and plan tier.
type class struct {
	product bandeira.Product
	band    Band
	tier    Tier
}

// classes are every valid (product, band) pair, in index order.
var classes = [...]class{
	{bandeira.Debit, BandAVista, TierDebit},
	{bandeira.Prepaid, BandAVista, TierPrepaid},
	{bandeira.Credit, BandAVista, TierCredit},
	{bandeira.Credit, BandEmissor, TierCredit},
	{bandeira.Credit, BandLojista2To6, TierCredit2To6},
	{bandeira.Credit, BandLojista7To12, TierCredit7To12},
}

// classify returns the class index of a sale of product p with installment plan inst (nil
// for à vista). It fails with ErrUnknownProduct or ErrInvalidInstallments; an installment
// plan is checked even on a debit or prepaid sale, which then ignores it.
func classify(p bandeira.Product, inst *bandeira.Installments) (int, error) {
	band, err := bandOf(inst)
	if err != nil {
		return 0, err
	}
	switch p {
	case bandeira.Debit:
		return 0, nil
	case bandeira.Prepaid:
		return 1, nil
	case bandeira.Credit:
		for i := 2; i < len(classes); i++ {
			if classes[i].band == band {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("classifying product %q: %w", p, ErrUnknownProduct)
}

// bandOf returns the band of a credit sale with installment plan inst.
func bandOf(inst *bandeira.Installments) (Band, error) {
	if inst == nil {
		return BandAVista, nil
	}
	switch {
	case inst.Plan == bandeira.PlanLojista && inst.Count >= 2 && inst.Count <= 6:
		return BandLojista2To6, nil
	case inst.Plan == bandeira.PlanLojista && inst.Count >= 7 && inst.Count <= MaxLojistaInstallments:
		return BandLojista7To12, nil
	case inst.Plan == bandeira.PlanEmissor && inst.Count >= 2 && inst.Count <= MaxEmissorInstallments:
		return BandEmissor, nil
	}
	return "", fmt.Errorf("checking installments (plan %q, count %d): %w", string(rune(inst.Plan)), inst.Count, ErrInvalidInstallments)
}
