package acquirer

import (
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

// Errors Price returns for a sale it cannot price.
var (
	// ErrUnknownBrand means the brand is not one the plans price (visa, mastercard).
	ErrUnknownBrand = errors.New("acquirer: unknown brand")
	// ErrUnknownProduct means the product is not debit, prepaid or credit.
	ErrUnknownProduct = errors.New("acquirer: unknown product")
	// ErrInvalidAmount means the amount is negative or above MaxAmount.
	ErrInvalidAmount = errors.New("acquirer: amount out of range")
	// ErrInvalidInstallments means an installment plan that is neither lojista 2–12 nor
	// emissor 2–24.
	ErrInvalidInstallments = errors.New("acquirer: invalid installment plan")
)

// Acquirer holds the merchants and their fee plans and prices sales. It is immutable after
// New and safe for concurrent use.
type Acquirer struct {
	merchants   map[string]*merchant
	list        []bandeira.Merchant
	defaultPlan *schedule
	calendar    *Calendar
	metrics     [len(brands)][len(classes)]saleMetrics
	log         zerolog.Logger
}

// merchant is a configured merchant with its plan resolved.
type merchant struct {
	bandeira.Merchant
	plan *schedule
}

// New builds the acquirer from cfg, which it validates. A nil m gets unregistered metrics.
func New(cfg Config, log zerolog.Logger, m *Metrics) (*Acquirer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("building acquirer: %w", err)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	plans := make(map[string]*schedule, len(cfg.Plans))
	for name, p := range cfg.Plans {
		plans[name] = compile(p)
	}
	a := &Acquirer{
		merchants:   make(map[string]*merchant, len(cfg.Merchants)),
		list:        make([]bandeira.Merchant, 0, len(cfg.Merchants)),
		defaultPlan: plans[cfg.DefaultPlan],
		calendar:    NewCalendar(cfg.Holidays),
		log:         log.With().Str("component", "acquirer").Logger(),
	}
	for _, mc := range cfg.Merchants {
		plan := a.defaultPlan
		if mc.Plan != "" {
			plan = plans[mc.Plan]
		}
		a.merchants[mc.ID] = &merchant{Merchant: mc.Merchant(), plan: plan}
		a.list = append(a.list, mc.Merchant())
	}
	for bi, b := range brands {
		for ci, c := range classes {
			a.metrics[bi][ci] = m.forSale(b, c)
		}
	}
	a.log.Info().Int("merchants", len(a.list)).Int("plans", len(plans)).
		Str("default_plan", cfg.DefaultPlan).Msg("acquirer ready")
	return a, nil
}

// Price computes the fee on an approved sale on its merchant's plan, at the rate of its
// brand and tier, and counts it in the metrics (see Rate.Fee for the arithmetic). The tier
// follows the installment plan: parcelado lojista uses the 2–6 or 7–12 band; parcelado
// emissor is priced as à vista; installments on a debit or prepaid sale are ignored.
// Amount is the total, also for installment sales.
//
// A merchant ID the acquirer does not know is priced on the default plan, not refused:
// integrators send their own merchant IDs. Price fails, counting nothing, only for a brand
// or product no plan prices (ErrUnknownBrand, ErrUnknownProduct), an amount out of range
// (ErrInvalidAmount) or an installment plan out of range (ErrInvalidInstallments).
func (a *Acquirer) Price(sale bandeira.Sale) (bandeira.Fee, error) {
	fee, bi, ci, err := a.quote(sale)
	if err != nil {
		return bandeira.Fee{}, err
	}
	if _, ok := a.merchants[sale.MerchantID]; !ok {
		a.log.Debug().Str("merchant_id", sale.MerchantID).Msg("unknown merchant, priced on the default plan")
	}
	a.metrics[bi][ci].count(fee)
	return fee, nil
}

// quote prices sale as Price does, counting nothing, and returns its brand and class
// indexes.
func (a *Acquirer) quote(sale bandeira.Sale) (fee bandeira.Fee, bi, ci int, err error) {
	if sale.Amount < 0 || sale.Amount > MaxAmount {
		return bandeira.Fee{}, 0, 0, fmt.Errorf("pricing %d centavos: %w", int64(sale.Amount), ErrInvalidAmount)
	}
	bi, ok := brandIndex(sale.Brand)
	if !ok {
		return bandeira.Fee{}, 0, 0, fmt.Errorf("pricing brand %q: %w", sale.Brand, ErrUnknownBrand)
	}
	if ci, err = classify(sale.Product, sale.Installments); err != nil {
		return bandeira.Fee{}, 0, 0, err
	}
	ti, _ := tierIndex(classes[ci].tier)
	plan := a.defaultPlan
	if m, ok := a.merchants[sale.MerchantID]; ok {
		plan = m.plan
	}
	return plan[bi][ti].Fee(sale.Amount), bi, ci, nil
}

// Calendar returns the payout calendar built from the configured holidays.
func (a *Acquirer) Calendar() *Calendar { return a.calendar }

// Merchant returns the configured merchant with the given ID (field 42), or false.
func (a *Acquirer) Merchant(id string) (bandeira.Merchant, bool) {
	m, ok := a.merchants[id]
	if !ok {
		return bandeira.Merchant{}, false
	}
	return m.Merchant, true
}

// Merchants returns the configured merchants in configuration order. The caller owns the
// returned slice.
func (a *Acquirer) Merchants() []bandeira.Merchant {
	return append([]bandeira.Merchant(nil), a.list...)
}
