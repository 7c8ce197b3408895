package acquirer

import (
	"errors"
	"fmt"
	"sort"

	"github.com/bandeira/bandeira"
)

// Config configures the Acquirer. In YAML:
//
//	default_plan: standard
//	plans:
//	  standard:                # a Plan: brand → tier → Rate
//	    visa:
//	      debit: {mdr_bps: 199, interchange_bps: 50, brand_fee_bps: 10, margin_bps: 139}
//	      ...
//	merchants:
//	  - {id: PADARIA00000001, name: Padaria Pao Quente, mcc: "5462", city: Sao Paulo, terminal_id: PADA0001}
//	holidays:
//	  - 2026-01-01             # Confraternização Universal
//
// Decoding YAML over DefaultConfig with gopkg.in/yaml.v3 replaces the merchants and
// holidays lists and any plan the file names, and keeps the default plans it does not name.
type Config struct {
	Merchants   []MerchantConfig `yaml:"merchants"`
	Plans       map[string]Plan  `yaml:"plans"`
	DefaultPlan string           `yaml:"default_plan"` // prices unknown merchants and merchants without a plan
	Holidays    []Date           `yaml:"holidays"`     // national holidays of the payout calendar, YYYY-MM-DD
}

// DefaultConfig returns the demo merchants, DefaultPlans with PlanStandard as the default,
// and Brazil's national holidays for 2026 and 2027 (DefaultHolidays).
func DefaultConfig() Config {
	return Config{Merchants: DemoMerchants(), Plans: DefaultPlans(), DefaultPlan: PlanStandard, Holidays: DefaultHolidays()}
}

// Validate reports every problem in c, each naming its plan, brand and tier, its merchant
// or its holiday: rates must be non-negative, add up to their MDR and respect the BCB debit
// and prepaid interchange caps; every plan must price every brand and tier; merchant IDs
// must be unique and at most 15 characters; referenced plans must exist; a holiday may be
// listed once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Plans) == 0 {
		errs = append(errs, errors.New("plans: at least one plan is required"))
	}
	names := make([]string, 0, len(c.Plans))
	for name := range c.Plans {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		errs = append(errs, checkPlan(name, c.Plans[name])...)
	}
	if _, ok := c.Plans[c.DefaultPlan]; !ok {
		errs = append(errs, fmt.Errorf("default_plan %q: no such plan", c.DefaultPlan))
	}
	errs = append(errs, c.checkMerchants()...)
	errs = append(errs, c.checkHolidays()...)
	return errors.Join(errs...)
}

// checkHolidays reports holidays listed twice.
func (c Config) checkHolidays() []error {
	var errs []error
	seen := make(map[Date]int, len(c.Holidays))
	for i, h := range c.Holidays {
		if j, dup := seen[h]; dup {
			errs = append(errs, fmt.Errorf("holidays[%d] %s: already listed at holidays[%d]", i, h, j))
			continue
		}
		seen[h] = i
	}
	return errs
}

// checkPlan reports the problems of one plan.
func checkPlan(name string, p Plan) []error {
	var errs []error
	if name == "" {
		errs = append(errs, errors.New("plans: a plan has an empty name"))
	}
	keys := make([]string, 0, len(p))
	for b := range p {
		keys = append(keys, string(b))
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, rates := bandeira.Brand(k), p[bandeira.Brand(k)]
		if _, ok := brandIndex(b); !ok {
			errs = append(errs, fmt.Errorf("plan %q: unknown brand %q (want visa or mastercard)", name, b))
			continue
		}
		for _, t := range sortedTiers(rates) {
			if _, ok := tierIndex(t); !ok {
				errs = append(errs, fmt.Errorf("plan %q: %s: unknown tier %q (want debit, prepaid, credit, credit_2_6 or credit_7_12)", name, b, t))
			}
		}
	}
	for _, b := range brands {
		for _, t := range tiers {
			r, ok := p[b][t]
			if !ok {
				errs = append(errs, fmt.Errorf("plan %q: %s %s: no rate", name, b, t))
				continue
			}
			if err := r.check(t.Product()); err != nil {
				errs = append(errs, fmt.Errorf("plan %q: %s %s: %w", name, b, t, err))
			}
		}
	}
	return errs
}

// checkMerchants reports bad, duplicate or mis-planned merchants.
func (c Config) checkMerchants() []error {
	var errs []error
	ids := make(map[string]bool, len(c.Merchants))
	terminals := make(map[string]string, len(c.Merchants))
	for i, m := range c.Merchants {
		where := fmt.Sprintf("merchants[%d] %q", i, m.ID)
		if err := m.check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if ids[m.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate id", where))
		}
		ids[m.ID] = true
		if _, ok := c.Plans[m.Plan]; m.Plan != "" && !ok {
			errs = append(errs, fmt.Errorf("%s: plan %q: no such plan", where, m.Plan))
		}
		if other, ok := terminals[m.TerminalID]; ok && m.TerminalID != "" {
			errs = append(errs, fmt.Errorf("%s: terminal_id %q already belongs to %q", where, m.TerminalID, other))
		} else if m.TerminalID != "" {
			terminals[m.TerminalID] = m.ID
		}
	}
	return errs
}

func sortedTiers(rates map[Tier]Rate) []Tier {
	ts := make([]Tier, 0, len(rates))
	for t := range rates {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts
}
