// Package acquirer is the simulated acquirer (a Cielo-like credenciadora): its merchants,
// their fee plans, and the pricing of every approved sale.
//
// A sale of Gross centavos pays the merchant discount rate (MDR), split three ways:
// interchange to the issuer, a brand fee to the network, and the acquirer's margin
// (domain.md §1.2–1.4). Each part is computed in integer centavos on the gross with
// bandeira.BasisPoints.Of (round half up); the acquirer margin is what is left of the MDR,
// so it absorbs the rounding and the parts always add up to the MDR exactly.
//
// Installment bands (parcelado lojista, domain.md §2) and settlement are later work; Rate
// is the à vista rate of one brand and product, and a Plan is open to gain per-installment
// rates beside it.
package acquirer
