package gateway

import "github.com/bandeira/bandeira"

// requirement is one mandatory field of a message type: its ISO 8583 field number and
// whether balance inquiries (processing code 30/31) are exempt from it.
type requirement struct {
	field                int
	exceptBalanceInquiry bool
}

// Mandatory fields per MTI. A missing or malformed field answers 30 (format error).
//
//	MTI                  mandatory fields
//	0100 0101 0200 0201  2, 3, 4, 7, 11, 14*, 41, 42, 49
//	0220 0221            2, 3, 4, 7, 11, 41, 90
//	0400 0401 0420 0421  2, 3, 4, 7, 11, 41, 90
//
// * Field 14 (expiry) is required except for balance inquiries (processing code 30/31):
// the domain never keeps track 2, so field 14 is the only expiry the issuer can check.
// Field 4 must be present everywhere; a zero amount answers 13 unless it is a balance
// inquiry or an account verification (an 0100 with processing code 00: the issuer screens
// the card and holds nothing; bandeira.Authorization.IsAccountVerification). 0220/0221 is a completion advice: it captures the hold of the 0100 that field 90
// names (field 4 is the captured amount; the rest of the hold is released), so field 90 is
// mandatory and, like a reversal, it needs no expiry or merchant. Any other MTI (the 0120
// authorization advice included) answers 12. So does network management (0800): package
// iso answers it at every node (docs/spec.md, "Network management") and never passes it on.
var mandatory = map[bandeira.MTI][]requirement{
	bandeira.MTIAuthorization:        financialFields,
	bandeira.MTIAuthorizationRepeat:  financialFields,
	bandeira.MTIFinancial:            financialFields,
	bandeira.MTIFinancialRepeat:      financialFields,
	bandeira.MTIFinancialAdvice:      completionFields,
	mtiFinancialAdviceRepeat:         completionFields,
	bandeira.MTIReversal:             reversalFields,
	bandeira.MTIReversalRepeat:       reversalFields,
	bandeira.MTIReversalAdvice:       reversalFields,
	bandeira.MTIReversalAdviceRepeat: reversalFields,
}

var (
	financialFields = []requirement{
		{2, false}, {3, false}, {4, false}, {7, false}, {11, false},
		{14, true}, {41, false}, {42, false}, {49, false},
	}
	reversalFields = []requirement{{2, false}, {3, false}, {4, false}, {7, false}, {11, false},
		{41, false}, {90, false}}
	completionFields = []requirement{{2, false}, {3, false}, {4, false}, {7, false}, {11, false},
		{41, false}, {90, false}}
)

// mtiFinancialAdviceRepeat is the repeat of a completion advice; the root package names
// no constant for it.
const mtiFinancialAdviceRepeat bandeira.MTI = "0221"

// supportedTxTypes are the transaction types (field 3, first two digits) the gateway
// accepts; any other answers 12.
var supportedTxTypes = map[string]bool{
	bandeira.TxPurchase:       true,
	bandeira.TxCash:           true,
	bandeira.TxAccountFunding: true,
	bandeira.TxRefund:         true,
	bandeira.TxOriginalCredit: true,
	bandeira.TxAvailableFunds: true,
	bandeira.TxBalanceInquiry: true,
}

// problem says what is wrong with a field.
type problem uint8

const (
	fieldOK problem = iota
	fieldMissing
	fieldMalformed
)

// String names the problem for log lines.
func (p problem) String() string {
	switch p {
	case fieldMissing:
		return "missing"
	case fieldMalformed:
		return "malformed"
	default:
		return "ok"
	}
}

// rejection is why a request was answered without being routed.
type rejection struct {
	code    bandeira.ResponseCode
	field   int // the offending field for format errors; 0 otherwise
	problem problem
}

// validate checks a request's MTI, fields and content. It returns ok when the request may
// proceed; otherwise the rejection says which code to answer and, for 30, which field.
func validate(a *bandeira.Authorization) (rejection, bool) {
	if len(a.MTI) != 4 || !bandeira.IsDigits(string(a.MTI)) {
		return rejection{code: bandeira.FormatError, problem: fieldMalformed}, false
	}
	reqs, ok := mandatory[a.MTI]
	if !ok {
		return rejection{code: bandeira.InvalidTransaction}, false
	}
	for _, r := range reqs {
		if r.exceptBalanceInquiry && a.IsBalanceInquiry() {
			continue
		}
		if p := checkField(r.field, a); p != fieldOK {
			return rejection{code: bandeira.FormatError, field: r.field, problem: p}, false
		}
	}
	// Optional fields that, when present, must still be well formed.
	for _, f := range [...]int{32, 49} {
		if p := checkField(f, a); p == fieldMalformed {
			return rejection{code: bandeira.FormatError, field: f, problem: p}, false
		}
	}
	return checkContent(a)
}

// checkContent applies the business rules that follow a well-formed request.
func checkContent(a *bandeira.Authorization) (rejection, bool) {
	switch {
	case !supportedTxTypes[a.TxType()]:
		return rejection{code: bandeira.InvalidTransaction}, false
	case a.Currency != "" && a.Currency != bandeira.CurrencyBRL:
		// We simulate domestic acceptance only: a foreign currency is an invalid amount.
		return rejection{code: bandeira.InvalidAmount}, false
	case a.Amount == 0 && !a.IsBalanceInquiry() && !a.IsAccountVerification():
		return rejection{code: bandeira.InvalidAmount}, false
	}
	return rejection{}, true
}
