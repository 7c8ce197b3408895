// Package acquirer is the simulated acquirer (a Cielo-like credenciadora): its merchants,
// their fee plans, the pricing of every approved sale, and the calendar on which merchants
// are paid.
//
// A sale of Gross centavos pays the merchant discount rate (MDR), split three ways:
// interchange to the issuer, a brand fee to the network, and the acquirer's margin
// (docs/economics.md, "How a fee is computed"). Each part is computed in integer centavos
// on the gross with bandeira.BasisPoints.Of (round half up); the acquirer margin is what is
// left of the MDR, so it absorbs the rounding and the parts always add up to the MDR
// exactly.
//
// A Plan prices each brand in five tiers: debit, prepaid, credit à vista, and credit
// parcelado lojista in the 2–6 and 7–12 installment bands (docs/economics.md,
// "Installments"); parcelado emissor is priced as à vista. The Calendar turns a priced
// sale into payout legs: debit D+1 business day, prepaid D+2, credit D+30 and lojista
// installment k at D+30·k, rolled past weekends and the configured national holidays
// (docs/economics.md, "The payout calendar").
//
// The Journal records every approved sale (with its fee split), refund, reversal and
// completion durably in SQLite (WAL, group commit) before the gateway answers, moving an
// original only as the issuer's answer says it moved (field 95), and records the expiry
// of 0100 holds never captured. Effective folds every amendment into its original and
// keeps what is presented (0200 sales, captured 0100 holds, refunds); Settle turns it into
// merchant payouts on the Calendar, and Clear into each brand's presentments and every
// member's net position.
// docs/economics.md has the tables, their sources, the clearing file format and worked
// examples.
package acquirer
