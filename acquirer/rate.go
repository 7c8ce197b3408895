package acquirer

import (
	"fmt"

	"github.com/bandeira/bandeira"
)

// The interchange caps of Resolução BCB 246 (in force from 2023-04-01), per transaction:
// debit 0.50%, prepaid 0.70%. Credit interchange is not capped in Brazil.
const (
	DebitInterchangeCap   bandeira.BasisPoints = 50
	PrepaidInterchangeCap bandeira.BasisPoints = 70
)

// MaxAmount is the largest sale Price accepts: twelve digits of centavos, the most ISO 8583
// field 4 can carry.
const MaxAmount bandeira.Amount = 999_999_999_999

// Rate is the MDR of one brand and tier and its split, in basis points of the gross
// sale. Interchange + BrandFee + Margin must equal MDR. In YAML:
//
//	{mdr_bps: 349, interchange_bps: 165, brand_fee_bps: 10, margin_bps: 174}
//
// All four are written out so a reader sees the merchant's price and its split at once,
// and Validate catches a typo in either.
type Rate struct {
	MDR         bandeira.BasisPoints `yaml:"mdr_bps"`         // what the merchant pays
	Interchange bandeira.BasisPoints `yaml:"interchange_bps"` // to the issuer
	BrandFee    bandeira.BasisPoints `yaml:"brand_fee_bps"`   // to the network
	Margin      bandeira.BasisPoints `yaml:"margin_bps"`      // kept by the acquirer
}

// Fee prices a sale of gross centavos (0 to MaxAmount): MDR, interchange and brand fee are
// each round_half_up(gross × bps / 10000); the acquirer margin is MDR − interchange − brand
// fee, so it absorbs the rounding and the parts add up to the MDR exactly; Net is
// gross − MDR.
//
// Because the margin absorbs the rounding it may differ from round(gross × Margin / 10000)
// by a centavo, and may be −1 centavo when Margin is below both other parts and the
// sale is a few reais (never with the default plans).
func (r Rate) Fee(gross bandeira.Amount) bandeira.Fee {
	mdr := r.MDR.Of(gross)
	interchange := r.Interchange.Of(gross)
	brandFee := r.BrandFee.Of(gross)
	return bandeira.Fee{
		Gross:          gross,
		MDR:            mdr,
		Interchange:    interchange,
		BrandFee:       brandFee,
		AcquirerMargin: mdr - interchange - brandFee,
		Net:            gross - mdr,
	}
}

// check reports the first problem with r for a tier of product p: a negative part, an MDR
// above 100%, parts that do not add up, or interchange above the BCB cap.
func (r Rate) check(p bandeira.Product) error {
	for _, part := range []struct {
		key string
		bps bandeira.BasisPoints
	}{{"mdr_bps", r.MDR}, {"interchange_bps", r.Interchange}, {"brand_fee_bps", r.BrandFee}, {"margin_bps", r.Margin}} {
		if part.bps < 0 {
			return fmt.Errorf("%s %d is negative", part.key, part.bps)
		}
	}
	if r.MDR > 10000 {
		return fmt.Errorf("mdr_bps %d is above 10000 (100%%)", r.MDR)
	}
	if sum := r.Interchange + r.BrandFee + r.Margin; sum != r.MDR {
		return fmt.Errorf("interchange_bps %d + brand_fee_bps %d + margin_bps %d = %d, not mdr_bps %d",
			r.Interchange, r.BrandFee, r.Margin, sum, r.MDR)
	}
	if c, capped := interchangeCap(p); capped && r.Interchange > c {
		return fmt.Errorf("interchange_bps %d is above the %s cap of %d bps (Resolução BCB 246, in force from 2023-04-01)",
			r.Interchange, p, c)
	}
	return nil
}

// interchangeCap returns the BCB cap on p's interchange, or false if p is uncapped.
func interchangeCap(p bandeira.Product) (bandeira.BasisPoints, bool) {
	switch p {
	case bandeira.Debit:
		return DebitInterchangeCap, true
	case bandeira.Prepaid:
		return PrepaidInterchangeCap, true
	}
	return 0, false
}
