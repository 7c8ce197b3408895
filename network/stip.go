package network

import (
	"slices"
	"time"

	"github.com/bandeira/bandeira"
)

// brasilia is the time zone of the network's business day (UTC−3; Brazil keeps no daylight
// saving time since 2019): per-card daily stand-in totals start over at its midnight.
var brasilia = time.FixedZone("BRT", -3*60*60)

// dayOf returns the Brasília day of t as YYYY-MM-DD.
func dayOf(t time.Time) string { return t.In(brasilia).Format(time.DateOnly) }

// The rules behind a stand-in decision, for logs: which rule decided.
const (
	ruleApproved       = "approved"
	ruleType           = "type_not_allowed"
	ruleProduct        = "product_not_allowed"
	rulePIN            = "pin_not_verifiable"
	ruleAmount         = "no_amount"
	ruleExpired        = "expired"
	ruleTransaction    = "over_transaction_limit"
	ruleDaily          = "over_daily_limit"
	ruleNotStoodInFor  = "not_stood_in_for"
	ruleStandInDisable = "stand_in_disabled"
)

// standsInFor reports whether the network decides a on an issuer's behalf at all: a
// purchase, cash withdrawal or account funding request (0100, 0200 and their repeats).
// Anything else the issuer could not answer (refunds, original credits, balance
// inquiries, reversals, advices) gets 91: the network cannot take it on.
func standsInFor(a *bandeira.Authorization) bool {
	switch a.MTI {
	case bandeira.MTIAuthorization, bandeira.MTIAuthorizationRepeat, bandeira.MTIFinancial, bandeira.MTIFinancialRepeat:
	default:
		return false
	}
	for _, tx := range standInTypes {
		if a.TxType() == tx {
			return true
		}
	}
	return false
}

// screen applies the rules that need nothing but the message, the card's product and the
// clock: it returns the decline code and its rule, or "" and ruleApproved when only the
// daily limit is left to check. The rules must be enabled and a one standsInFor.
func (r StandInRules) screen(a *bandeira.Authorization, product bandeira.Product, now time.Time) (bandeira.ResponseCode, string) {
	switch {
	case !r.allowsType(a.TxType()):
		return r.NotAllowedCode, ruleType
	case !slices.Contains(r.Products, product):
		return r.NotAllowedCode, ruleProduct
	case a.PINBlock != "":
		return r.NotAllowedCode, rulePIN // the network holds no PIN keys to verify it
	case a.Amount <= 0:
		return r.NotAllowedCode, ruleAmount // an account verification is the issuer's to answer
	case expired(a.Expiry, now):
		return bandeira.ExpiredCard, ruleExpired
	case a.Amount > r.TransactionLimit:
		return r.OverLimitCode, ruleTransaction
	}
	return "", ruleApproved
}

// decide is the whole stand-in decision for a request the network stands in for, given
// what the card was approved in stand-in today before it: the code (00 to approve) and the
// rule that decided.
func (r StandInRules) decide(a *bandeira.Authorization, product bandeira.Product, spentToday bandeira.Amount, now time.Time) (bandeira.ResponseCode, string) {
	if code, rule := r.screen(a, product, now); code != "" {
		return code, rule
	}
	if spentToday+a.Amount > r.DailyLimit {
		return r.OverLimitCode, ruleDaily
	}
	return bandeira.Approved, ruleApproved
}

// allowsType reports whether the transaction type tx is one of the rules' Types.
func (r StandInRules) allowsType(tx string) bool {
	for _, name := range r.Types {
		if standInTypes[name] == tx {
			return true
		}
	}
	return false
}

// expired reports whether the expiry date yymm (field 14) is before now's month in
// Brasília, or is not a date at all; a card is good through its expiry month. An absent
// expiry cannot be checked and passes.
func expired(yymm string, now time.Time) bool {
	if yymm == "" {
		return false
	}
	if len(yymm) != 4 || !bandeira.IsDigits(yymm) {
		return true
	}
	month := int(yymm[2]-'0')*10 + int(yymm[3]-'0')
	if month < 1 || month > 12 {
		return true
	}
	exp := int(yymm[0]-'0')*1000 + int(yymm[1]-'0')*100 + month
	t := now.In(brasilia)
	return exp < (t.Year()%100)*100+int(t.Month())
}
