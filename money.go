package bandeira

import "fmt"

// Amount is money in integer centavos (1/100 of a real). It is never a float.
type Amount int64

// String formats the amount as reais with two decimals, e.g. "R$ 100.00".
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%sR$ %d.%02d", sign, v/100, v%100)
}

// BasisPoints is a rate in hundredths of a percent: 399 bps = 3.99%.
type BasisPoints int64

// String formats the rate as a percentage with two decimals, e.g. "3.99%".
func (b BasisPoints) String() string { return fmt.Sprintf("%d.%02d%%", int64(b)/100, int64(b)%100) }

// Of returns the rate applied to a, rounded half up to the centavo:
// round_half_up(a * b / 10000). Negative amounts round symmetrically (half away from zero).
func (b BasisPoints) Of(a Amount) Amount {
	n := int64(a) * int64(b)
	if n < 0 {
		return -Amount((-n + 5000) / 10000)
	}
	return Amount((n + 5000) / 10000)
}

// CurrencyBRL is the ISO 4217 numeric code of the Brazilian real, the default field 49.
const CurrencyBRL = "986"
