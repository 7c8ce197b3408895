package acquirer

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func leg(n, of int, on string, gross, mdr, net bandeira.Amount) Leg {
	return Leg{Number: n, Of: of, Date: day(on), Gross: gross, MDR: mdr, Net: net}
}

func TestLegs(t *testing.T) {
	cal := NewCalendar(DefaultHolidays())
	debit, prepaid := fee(10000, 199, 50, 10, 139), fee(10000, 249, 70, 10, 169)
	credit := fee(10000, 399, 165, 10, 224)
	tests := []struct {
		name    string
		product bandeira.Product
		inst    *bandeira.Installments
		fee     bandeira.Fee
		sold    string
		want    []Leg
	}{
		{"pays debit sold on a Tuesday on Wednesday (D+1 business day)", bandeira.Debit, nil, debit, "2026-11-24",
			[]Leg{leg(1, 1, "2026-11-25", 10000, 199, 9801)}},
		{"pays debit sold on a Friday the next Monday", bandeira.Debit, nil, debit, "2026-11-27",
			[]Leg{leg(1, 1, "2026-11-30", 10000, 199, 9801)}},
		{"pays debit sold on Carnival Friday on Ash Wednesday", bandeira.Debit, nil, debit, "2026-02-13",
			[]Leg{leg(1, 1, "2026-02-18", 10000, 199, 9801)}},
		{"pays prepaid sold on a Thursday the next Monday (D+2 business days)", bandeira.Prepaid, nil, prepaid, "2026-11-26",
			[]Leg{leg(1, 1, "2026-11-30", 10000, 249, 9751)}},
		{"pays prepaid sold on 30 December 2026 on 4 January 2027", bandeira.Prepaid, nil, prepaid, "2026-12-30",
			[]Leg{leg(1, 1, "2027-01-04", 10000, 249, 9751)}},
		{"pays the worked example (R$100.00 credit at 3.99%) 96.01 at D+30", bandeira.Credit, nil, credit, "2026-11-24",
			[]Leg{leg(1, 1, "2026-12-24", 10000, 399, 9601)}},
		{"rolls credit D+30 falling on Christmas to the next business day", bandeira.Credit, nil, credit, "2026-11-25",
			[]Leg{leg(1, 1, "2026-12-28", 10000, 399, 9601)}},
		{"rolls credit D+30 falling on Carnival Monday to Ash Wednesday", bandeira.Credit, nil, credit, "2027-01-09",
			[]Leg{leg(1, 1, "2027-02-10", 10000, 399, 9601)}},
		{"pays parcelado emissor in one leg at D+30, like à vista", bandeira.Credit, emissor(24), credit, "2026-03-02",
			[]Leg{leg(1, 1, "2026-04-01", 10000, 399, 9601)}},
		{"ignores installments on a debit sale", bandeira.Debit, lojista(3), debit, "2026-11-24",
			[]Leg{leg(1, 1, "2026-11-25", 10000, 199, 9801)}},
		{"splits lojista 3x into monthly legs, the remainder on the first", bandeira.Credit, lojista(3),
			fee(10000, 399, 185, 10, 204), "2026-03-02", []Leg{
				leg(1, 3, "2026-04-01", 3334, 133, 3201), // D+30
				leg(2, 3, "2026-05-04", 3333, 133, 3200), // D+60 is Friday 1 May, Dia do Trabalho
				leg(3, 3, "2026-06-01", 3333, 133, 3200), // D+90 is a Sunday
			}},
		{"splits lojista 2x of one centavo into a centavo and nothing", bandeira.Credit, lojista(2),
			fee(1, 0, 0, 0, 0), "2026-03-02", []Leg{
				leg(1, 2, "2026-04-01", 1, 0, 1),
				leg(2, 2, "2026-05-04", 0, 0, 0),
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sale := bandeira.Sale{MerchantID: "PADARIA00000001", Brand: bandeira.Visa, Product: tt.product, Amount: tt.fee.Gross, Installments: tt.inst}
			got, err := cal.Legs(sale, tt.fee, day(tt.sold))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestLegsLojista12x(t *testing.T) {
	cal := NewCalendar(DefaultHolidays())
	f := DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit7To12].Fee(100001) // R$1,000.01
	require.Equal(t, fee(100001, 3990, 2050, 100, 1840), f)
	sold := day("2026-12-01")
	legs, err := cal.Legs(bandeira.Sale{Product: bandeira.Credit, Amount: 100001, Installments: lojista(12)}, f, sold)
	require.NoError(t, err)
	require.Len(t, legs, 12)
	t.Run("puts the remainders of the net and the MDR on the first leg", func(t *testing.T) {
		require.Equal(t, leg(1, 12, "2026-12-31", 8349, 338, 8011), legs[0])
		for _, l := range legs[1:] {
			require.Equal(t, bandeira.Amount(8000), l.Net)
			require.Equal(t, bandeira.Amount(332), l.MDR)
		}
	})
	t.Run("pays leg k on the first business day from D+30·k, across the year", func(t *testing.T) {
		require.Equal(t, day("2027-02-01"), legs[1].Date, "D+60 is Saturday 30 January")
		for k, l := range legs {
			due := sold.AddDays(CreditPayoutDays * (k + 1))
			require.Equal(t, cal.RollForward(due), l.Date)
			require.True(t, cal.IsBusinessDay(l.Date))
			require.Equal(t, k+1, l.Number)
		}
	})
}

func TestLegsAddUpExactly(t *testing.T) {
	cal := NewCalendar(DefaultHolidays())
	rng := rand.New(rand.NewPCG(5, 6))
	t.Run("legs sum to the gross, MDR and net for any amount, rate and count, no part negative", func(t *testing.T) {
		for range 5000 {
			gross := bandeira.Amount(rng.Int64N(int64(MaxAmount) + 1))
			if rng.IntN(2) == 0 {
				gross = bandeira.Amount(rng.Int64N(100))
			}
			r := Rate{MDR: bandeira.BasisPoints(rng.Int64N(10001))}
			r.Interchange = r.MDR
			f := r.Fee(gross)
			n := 2 + rng.IntN(11)
			legs, err := cal.Legs(bandeira.Sale{Product: bandeira.Credit, Amount: gross, Installments: lojista(n)}, f, day("2026-01-15"))
			require.NoError(t, err)
			require.Len(t, legs, n)
			var g, m, net bandeira.Amount
			for _, l := range legs {
				if l.Gross != l.MDR+l.Net || l.MDR < 0 || l.Net < 0 || l.Net > legs[0].Net {
					require.Failf(t, "bad leg", "%+v of %+v", l, f)
				}
				g, m, net = g+l.Gross, m+l.MDR, net+l.Net
			}
			if g != f.Gross || m != f.MDR || net != f.Net || legs[1].Net != f.Net/bandeira.Amount(n) {
				require.Failf(t, "legs do not add up", "%+v: %+v", f, legs)
			}
		}
	})
}

func TestLegsRejects(t *testing.T) {
	cal := NewCalendar(DefaultHolidays())
	good := fee(10000, 399, 165, 10, 224)
	tests := []struct {
		name string
		sale bandeira.Sale
		fee  bandeira.Fee
		want error
	}{
		{"a fee for another amount", bandeira.Sale{Product: bandeira.Credit, Amount: 9999}, good, ErrFeeMismatch},
		{"a fee whose net is not gross − MDR", bandeira.Sale{Product: bandeira.Credit, Amount: 10000},
			bandeira.Fee{Gross: 10000, MDR: 399, Net: 9602}, ErrFeeMismatch},
		{"a negative MDR", bandeira.Sale{Product: bandeira.Credit, Amount: 10000},
			bandeira.Fee{Gross: 10000, MDR: -1, Net: 10001}, ErrFeeMismatch},
		{"a negative sale", bandeira.Sale{Product: bandeira.Credit, Amount: -100},
			bandeira.Fee{Gross: -100, MDR: 0, Net: -100}, ErrFeeMismatch},
		{"an unknown product", bandeira.Sale{Product: "combo", Amount: 10000}, good, ErrUnknownProduct},
		{"lojista 13x", bandeira.Sale{Product: bandeira.Credit, Amount: 10000, Installments: lojista(13)}, good, ErrInvalidInstallments},
		{"lojista 1x", bandeira.Sale{Product: bandeira.Credit, Amount: 10000, Installments: lojista(1)}, good, ErrInvalidInstallments},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			legs, err := cal.Legs(tt.sale, tt.fee, day("2026-11-26"))
			require.ErrorIs(t, err, tt.want)
			require.Nil(t, legs)
		})
	}
}

func BenchmarkLegs(b *testing.B) {
	cal := NewCalendar(DefaultHolidays())
	f := DefaultPlans()[PlanStandard][bandeira.Visa][TierCredit7To12].Fee(123456)
	for _, c := range []struct {
		name string
		sale bandeira.Sale
	}{
		{"debit", bandeira.Sale{Product: bandeira.Debit, Amount: 123456}},
		{"lojista 12x", bandeira.Sale{Product: bandeira.Credit, Amount: 123456, Installments: lojista(12)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cal.Legs(c.sale, f, day("2026-12-01")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
