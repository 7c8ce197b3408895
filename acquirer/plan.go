package acquirer

import "github.com/bandeira/bandeira"

// Tier names one line of a plan's price list: a product sold à vista, or credit sold in
// parcelado lojista installments of one band (docs/economics.md, "Installments").
// Parcelado emissor is priced as à vista (the issuer finances it), so it has no tier of its
// own.
type Tier string

// The tiers every plan prices, for each brand.
const (
	TierDebit       Tier = "debit"
	TierPrepaid     Tier = "prepaid"
	TierCredit      Tier = "credit"      // credit à vista, and parcelado emissor
	TierCredit2To6  Tier = "credit_2_6"  // parcelado lojista, 2 to 6 installments
	TierCredit7To12 Tier = "credit_7_12" // parcelado lojista, 7 to 12 installments
)

// Product returns the card product the tier prices.
func (t Tier) Product() bandeira.Product {
	switch t {
	case TierDebit:
		return bandeira.Debit
	case TierPrepaid:
		return bandeira.Prepaid
	}
	return bandeira.Credit
}

// Plan is a fee plan: the rate of every tier for each brand. A valid plan prices every
// brand and tier the simulator knows. In YAML:
//
//	visa:
//	  debit:       {mdr_bps: 199, interchange_bps: 50,  brand_fee_bps: 10, margin_bps: 139}
//	  prepaid:     {mdr_bps: 249, interchange_bps: 70,  brand_fee_bps: 10, margin_bps: 169}
//	  credit:      {mdr_bps: 349, interchange_bps: 165, brand_fee_bps: 10, margin_bps: 174}
//	  credit_2_6:  {mdr_bps: 399, interchange_bps: 185, brand_fee_bps: 10, margin_bps: 204}
//	  credit_7_12: {mdr_bps: 449, interchange_bps: 205, brand_fee_bps: 10, margin_bps: 234}
//	mastercard:
//	  ...
type Plan map[bandeira.Brand]map[Tier]Rate

// The plans DefaultConfig defines.
const (
	// PlanStandard is the ordinary small-merchant plan of docs/economics.md.
	PlanStandard = "standard"
	// PlanWhatsApp2020 is the flat 3.99% WhatsApp charged merchants at its 2020 launch, for
	// any card and any installment band; interchange per tier as in PlanStandard, brand fee
	// 0.10%, the acquirer keeps the rest.
	PlanWhatsApp2020 = "whatsapp-2020"
)

// The default rates (docs/economics.md, "Default fee tables"), indexed like tiers.
var (
	standardRates = [...]Rate{
		{MDR: 199, Interchange: 50, BrandFee: 10, Margin: 139},  // debit
		{MDR: 249, Interchange: 70, BrandFee: 10, Margin: 169},  // prepaid
		{MDR: 349, Interchange: 165, BrandFee: 10, Margin: 174}, // credit à vista
		{MDR: 399, Interchange: 185, BrandFee: 10, Margin: 204}, // parcelado lojista 2–6x
		{MDR: 449, Interchange: 205, BrandFee: 10, Margin: 234}, // parcelado lojista 7–12x
	}
	whatsApp2020Rates = [...]Rate{
		{MDR: 399, Interchange: 50, BrandFee: 10, Margin: 339},  // debit
		{MDR: 399, Interchange: 70, BrandFee: 10, Margin: 319},  // prepaid
		{MDR: 399, Interchange: 165, BrandFee: 10, Margin: 224}, // credit à vista
		{MDR: 399, Interchange: 185, BrandFee: 10, Margin: 204}, // parcelado lojista 2–6x
		{MDR: 399, Interchange: 205, BrandFee: 10, Margin: 184}, // parcelado lojista 7–12x
	}
)

// DefaultPlans returns the plans of docs/economics.md, PlanStandard and PlanWhatsApp2020, the
// same for Visa and Mastercard. Each call returns new maps the caller may change.
func DefaultPlans() map[string]Plan {
	return map[string]Plan{
		PlanStandard:     uniformPlan(standardRates),
		PlanWhatsApp2020: uniformPlan(whatsApp2020Rates),
	}
}

// uniformPlan gives every brand the same rates.
func uniformPlan(rates [len(tiers)]Rate) Plan {
	p := make(Plan, len(brands))
	for _, b := range brands {
		p[b] = make(map[Tier]Rate, len(tiers))
		for i, t := range tiers {
			p[b][t] = rates[i]
		}
	}
	return p
}

// brands and tiers are the ones a plan must price, in index order.
var (
	brands = [...]bandeira.Brand{bandeira.Visa, bandeira.Mastercard}
	tiers  = [...]Tier{TierDebit, TierPrepaid, TierCredit, TierCredit2To6, TierCredit7To12}
)

func brandIndex(b bandeira.Brand) (int, bool) {
	switch b {
	case bandeira.Visa:
		return 0, true
	case bandeira.Mastercard:
		return 1, true
	}
	return 0, false
}

func tierIndex(t Tier) (int, bool) {
	for i, known := range tiers {
		if t == known {
			return i, true
		}
	}
	return 0, false
}

// schedule is a validated Plan flattened for lookup by brand and tier index.
type schedule [len(brands)][len(tiers)]Rate

func compile(p Plan) *schedule {
	var s schedule
	for bi, b := range brands {
		for ti, t := range tiers {
			s[bi][ti] = p[b][t]
		}
	}
	return &s
}
