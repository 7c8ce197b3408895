package network

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/bandeira/bandeira"
)

// The transaction types stand-in may approve, by their name in StandInRules.Types. Refunds,
// original credits, balance inquiries and reversals are never stood in for: they are not a
// risk the network can take on the issuer's behalf, or they need the issuer's own books.
const (
	TypePurchase       = "purchase"        // processing code 00
	TypeCash           = "cash"            // processing code 01
	TypeAccountFunding = "account_funding" // processing code 10
)

// standInTypes maps each stand-in type name to its transaction type (field 3, digits 1–2).
var standInTypes = map[string]string{
	TypePurchase:       bandeira.TxPurchase,
	TypeCash:           bandeira.TxCash,
	TypeAccountFunding: bandeira.TxAccountFunding,
}

// StandInRules are one issuer's stand-in (STIP) parameters: what the network may approve on
// the issuer's behalf when the issuer cannot answer (docs/architecture.md, "Stand-in").
type StandInRules struct {
	// Enabled turns stand-in on. Off, an issuer that cannot answer gets 91 as before.
	Enabled bool `yaml:"enabled"`
	// Types are the transaction types stand-in may approve: purchase, cash,
	// account_funding. Other eligible requests get NotAllowedCode.
	Types []string `yaml:"transaction_types"`
	// Products are the card products stand-in may approve (the product of the card's
	// BIN row). Other cards get NotAllowedCode.
	Products []bandeira.Product `yaml:"products"`
	// TransactionLimit is the largest amount approved in stand-in, in centavos.
	TransactionLimit bandeira.Amount `yaml:"transaction_limit"`
	// DailyLimit is the most approved in stand-in per card per day (Brasília), in
	// centavos, this request included.
	DailyLimit bandeira.Amount `yaml:"daily_limit"`
	// OverLimitCode answers a request above either limit (61 by default).
	OverLimitCode bandeira.ResponseCode `yaml:"over_limit_code"`
	// NotAllowedCode answers a request of a type, product or form stand-in may not
	// approve (05 by default).
	NotAllowedCode bandeira.ResponseCode `yaml:"not_allowed_code"`
}

// StandInOverride changes some of the default StandInRules for one issuer; an unset
// (nil) field keeps the default.
type StandInOverride struct {
	Enabled          *bool                  `yaml:"enabled"`
	Types            []string               `yaml:"transaction_types"`
	Products         []bandeira.Product     `yaml:"products"`
	TransactionLimit *bandeira.Amount       `yaml:"transaction_limit"`
	DailyLimit       *bandeira.Amount       `yaml:"daily_limit"`
	OverLimitCode    *bandeira.ResponseCode `yaml:"over_limit_code"`
	NotAllowedCode   *bandeira.ResponseCode `yaml:"not_allowed_code"`
}

// StandInConfig is the network's stand-in configuration: default rules, inline, and
// per-issuer overrides by issuer name.
type StandInConfig struct {
	StandInRules `yaml:",inline"`
	Issuers      map[string]StandInOverride `yaml:"issuers"`
}

// DefaultStandIn returns the simulator's stand-in defaults: on, purchases only, every
// product, up to R$ 200.00 a transaction and R$ 500.00 per card per day, 61 above a limit
// and 05 for what is not allowed.
func DefaultStandIn() StandInConfig {
	return StandInConfig{StandInRules: StandInRules{
		Enabled:          true,
		Types:            []string{TypePurchase},
		Products:         []bandeira.Product{bandeira.Debit, bandeira.Credit, bandeira.Prepaid},
		TransactionLimit: 20000,
		DailyLimit:       50000,
		OverLimitCode:    bandeira.ExceedsAmountLimit,
		NotAllowedCode:   bandeira.DoNotHonour,
	}}
}

// For returns the rules of issuer: the defaults with the issuer's override applied.
func (c StandInConfig) For(issuer string) StandInRules {
	r := c.StandInRules
	o, ok := c.Issuers[issuer]
	if !ok {
		return r
	}
	if o.Enabled != nil {
		r.Enabled = *o.Enabled
	}
	if o.Types != nil {
		r.Types = o.Types
	}
	if o.Products != nil {
		r.Products = o.Products
	}
	if o.TransactionLimit != nil {
		r.TransactionLimit = *o.TransactionLimit
	}
	if o.DailyLimit != nil {
		r.DailyLimit = *o.DailyLimit
	}
	if o.OverLimitCode != nil {
		r.OverLimitCode = *o.OverLimitCode
	}
	if o.NotAllowedCode != nil {
		r.NotAllowedCode = *o.NotAllowedCode
	}
	return r
}

// Validate reports every invalid setting, the defaults' and each override's (in issuer
// name order), each naming its key.
func (c StandInConfig) Validate() error {
	errs := []error{prefixed("stand_in", c.StandInRules.validate())}
	names := make([]string, 0, len(c.Issuers))
	for name := range c.Issuers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		key := "stand_in.issuers." + name
		if !bandeira.IsPartyName(name) {
			errs = append(errs, fmt.Errorf("%s: not an issuer name", key))
			continue
		}
		errs = append(errs, prefixed(key, c.For(name).validate()))
	}
	return errors.Join(errs...)
}

// validate reports the rules' invalid settings. Limits and codes are checked only when the
// rules are enabled, so the zero value (stand-in off) is valid.
func (r StandInRules) validate() error {
	var errs []error
	for _, t := range r.Types {
		if _, ok := standInTypes[t]; !ok {
			errs = append(errs, fmt.Errorf("transaction_types: %q is not one of purchase, cash, account_funding", t))
		}
	}
	for _, p := range r.Products {
		if !p.Valid() {
			errs = append(errs, fmt.Errorf("products: %q is not one of debit, credit, prepaid", string(p)))
		}
	}
	if !r.Enabled {
		return errors.Join(errs...)
	}
	if r.TransactionLimit <= 0 {
		errs = append(errs, fmt.Errorf("transaction_limit %d: must be above 0 centavos", r.TransactionLimit))
	}
	if r.DailyLimit <= 0 {
		errs = append(errs, fmt.Errorf("daily_limit %d: must be above 0 centavos", r.DailyLimit))
	}
	for _, c := range []struct {
		key  string
		code bandeira.ResponseCode
	}{{"over_limit_code", r.OverLimitCode}, {"not_allowed_code", r.NotAllowedCode}} {
		if !isDecline(c.code) {
			errs = append(errs, fmt.Errorf("%s %q: want a decline, two upper-case letters or digits other than 00, 91 and 96", c.key, string(c.code)))
		}
	}
	return errors.Join(errs...)
}

// isDecline reports whether c can be a stand-in decline: two upper-case letters or digits,
// not an approval and not one of the codes that mean "no decision" (91, 96).
func isDecline(c bandeira.ResponseCode) bool {
	if len(c) != 2 || slices.Contains([]bandeira.ResponseCode{bandeira.Approved, bandeira.IssuerUnavailable,
		bandeira.SystemMalfunction}, c) {
		return false
	}
	for i := 0; i < 2; i++ {
		if !(c[i] >= '0' && c[i] <= '9' || c[i] >= 'A' && c[i] <= 'Z') {
			return false
		}
	}
	return true
}

// prefixed prefixes each error joined in err with key.
func prefixed(key string, err error) error {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			errs = append(errs, fmt.Errorf("%s.%w", key, e))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("%s.%w", key, err)
}
