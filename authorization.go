package bandeira

import "context"

// MTI is an ISO 8583:1987 message type indicator, e.g. "0100".
type MTI string

// The message types Bandeira understands (requests; a response adds 10 to the function).
const (
	MTIAuthorization           MTI = "0100"
	MTIAuthorizationRepeat     MTI = "0101"
	MTIAuthorizationAdvice     MTI = "0120"
	MTIFinancial               MTI = "0200"
	MTIFinancialRepeat         MTI = "0201"
	MTIFinancialAdvice         MTI = "0220"
	MTIReversal                MTI = "0400"
	MTIReversalRepeat          MTI = "0401"
	MTIReversalAdvice          MTI = "0420"
	MTIReversalAdviceRepeat    MTI = "0421"
	MTINetworkManagement       MTI = "0800"
	MTINetworkManagementRepeat MTI = "0801"
)

// Class returns the message class digit: '1' authorization, '2' financial, '4' reversal,
// '8' network management; 0 if the MTI is malformed.
func (m MTI) Class() byte {
	if len(m) != 4 {
		return 0
	}
	return m[1]
}

// IsRequest reports whether the MTI is a request or advice (function digit 0 or 2),
// as opposed to a response.
func (m MTI) IsRequest() bool { return len(m) == 4 && (m[2] == '0' || m[2] == '2') }

// IsRepeat reports whether the origin digit marks a repeat (xx01, xx21).
func (m MTI) IsRepeat() bool { return len(m) == 4 && m[3] == '1' }

// Original returns the MTI with the repeat flag cleared (0101 → 0100).
func (m MTI) Original() MTI {
	if !m.IsRepeat() {
		return m
	}
	return m[:3] + "0"
}

// Repeat returns the repeat of a request or advice: the origin digit 0 becomes 1 and 2
// becomes 3 (0400 → 0401, 0120 → 0121). Any other MTI is returned unchanged.
func (m MTI) Repeat() MTI {
	if !m.IsRequest() || (m[3] != '0' && m[3] != '2') {
		return m
	}
	return m[:3] + MTI(rune(m[3]+1))
}

// Response returns the response MTI for a request (0100 → 0110, 0420 → 0430, 0101 → 0110).
// It returns "" when m is not a request.
func (m MTI) Response() MTI {
	if !m.IsRequest() {
		return ""
	}
	return MTI([]byte{m[0], m[1], m[2] + 1, '0'})
}

// Transaction types: the first two digits of processing code (field 3).
const (
	TxPurchase       = "00"
	TxCash           = "01"
	TxAccountFunding = "10"
	TxRefund         = "20"
	TxOriginalCredit = "26"
	TxAvailableFunds = "30"
	TxBalanceInquiry = "31"
)

// Network management information codes (field 70).
const (
	SignOn  = "001"
	SignOff = "002"
	Echo    = "301"
)

// Authorization is one request to a hop, decoded from the wire into domain terms.
//
// String fields hold the field's value as it appeared on the wire; "" means the field was
// absent. Secrets (PAN, CVV2, PIN block, track 2) are typed or named so that nothing
// prints them in clear: PAN masks itself, and CVV2/PINBlock must never be logged.
type Authorization struct {
	MTI                  MTI
	PAN                  PAN           // field 2
	ProcessingCode       string        // field 3, six digits
	Amount               Amount        // field 4, centavos
	AmountPresent        bool          // whether field 4 was present
	TransmissionTime     string        // field 7, MMDDhhmmss (GMT)
	STAN                 string        // field 11
	LocalTime            string        // field 12, hhmmss
	LocalDate            string        // field 13, MMDD
	Expiry               string        // field 14, YYMM
	MCC                  string        // field 18
	Country              string        // field 19
	POSEntryMode         string        // field 22
	POSCondition         string        // field 25
	AcquirerID           string        // field 32
	ForwardingID         string        // field 33
	Track2Present        bool          // field 35 was present (its content is never kept)
	RRN                  string        // field 37
	AuthCode             string        // field 38 (advices and reversals may carry it)
	ResponseCode         ResponseCode  // field 39: in an 0120 advice, the network's stand-in decision
	TerminalID           string        // field 41
	MerchantID           string        // field 42
	MerchantName         string        // field 43
	StandIn              StandInReason // field 44 position 1: in an 0120 advice, why the network stood in
	CVV2                 string        // field 48 tag CV; never log
	Installments         *Installments // field 48 tag IP
	TokenRequest         *TokenRequest // field 48 tag TR: tokenize the card (account verification)
	Cryptogram           *Cryptogram   // field 48 tags TC, TA: a token payment's one-time proof
	Currency             string        // field 49
	PINBlock             string        // field 52, 16 hex characters; never log
	NetworkCode          string        // field 70
	Original             *OriginalData // field 90
	Replacement          *Amount       // field 95: the actual amount after a partial reversal
	ReceivingInstitution string        // field 100
}

// TxType returns the transaction type: the first two digits of the processing code.
func (a *Authorization) TxType() string {
	if len(a.ProcessingCode) < 2 {
		return ""
	}
	return a.ProcessingCode[:2]
}

// IsBalanceInquiry reports whether the processing code asks for a balance (30 or 31).
func (a *Authorization) IsBalanceInquiry() bool {
	t := a.TxType()
	return t == TxAvailableFunds || t == TxBalanceInquiry
}

// IsSale reports whether a is a purchase or cash withdrawal request: an 0100 or 0200 (or
// their repeats) with processing code 00 or 01. Sales are what the acquirer prices and
// settles; refunds, inquiries, advices, reversals and account verifications are not sales.
func (a *Authorization) IsSale() bool {
	if c := a.MTI.Class(); c != '1' && c != '2' || a.MTI[2] != '0' {
		return false
	}
	tx := a.TxType()
	return (tx == TxPurchase || tx == TxCash) && !a.IsAccountVerification()
}

// IsAccountVerification reports whether a is an account verification: an 0100 (or 0101)
// with processing code 00 and an amount of zero in field 4. The issuer screens the card
// (status, expiry, CVV2) and holds nothing; a wallet verifies a card this way before it
// keeps it, and a token service issues its token on the approval.
func (a *Authorization) IsAccountVerification() bool {
	return a.MTI.Original() == MTIAuthorization && a.TxType() == TxPurchase && a.AmountPresent && a.Amount == 0
}

// OriginalData is field 90: the data elements of the message a reversal refers to.
type OriginalData struct {
	MTI              MTI    // 4
	STAN             string // 6
	TransmissionTime string // 10
	AcquirerID       string // 11, zero-padded on the wire
	ForwardingID     string // 11, zero-padded on the wire
}

// Installments is the installment plan carried in field 48 tag IP.
type Installments struct {
	Plan  InstallmentPlan
	Count int // 2–12 for lojista, 2–24 for emissor
}

// InstallmentPlan says who finances an installment sale.
type InstallmentPlan byte

// The installment plans (docs/economics.md, "Installments"; field 48 tag IP in docs/spec.md).
const (
	PlanLojista InstallmentPlan = '1' // merchant-financed, settled in monthly legs
	PlanEmissor InstallmentPlan = '2' // issuer-financed, settled à vista
)

// Result is a hop's decision. A decline is a Result with a non-approved Code.
type Result struct {
	Code     ResponseCode
	AuthCode string // field 38, six characters, set when approved
	// Balances is set for balance inquiries (field 54): ledger and available.
	Balances *Balances
	// Issuer and Brand name who decided, for metrics and logs; empty if unknown.
	Issuer string
	Brand  Brand
	// Product of the card, when the issuer knows it (used for pricing).
	Product Product
	// Remaining is field 95 in the answer to a reversal (04xx) or a completion (0220): the
	// original's amount still in effect after the message, as the issuer applied it (held,
	// captured or posted; 0 when nothing is). Nil when the issuer matched no original.
	Remaining *Amount
	// StandIn is field 44 position 1: who decided (zero: not said, the issuer).
	StandIn StandInReason
	// Token is the network token a token service issued on an approved account
	// verification that asked for one (response field 48 tags TK and TE).
	Token *Token
}

// Balances are the amounts returned in field 54 (amount types 01 ledger, 02 available).
type Balances struct {
	Ledger    Amount
	Available Amount
	Currency  string
}

// An Authorizer decides an authorization-class request.
//
// A decline is a Result with a non-approved ResponseCode and a nil error. A non-nil error
// means no decision could be made (timeout, unreachable issuer); the caller maps it to a
// response code at its edge with CodeForError. Implementations are safe for concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, a Authorization) (Result, error)
}

// AuthorizerFunc adapts an ordinary function to the Authorizer interface.
type AuthorizerFunc func(ctx context.Context, a Authorization) (Result, error)

// Authorize calls f(ctx, a).
func (f AuthorizerFunc) Authorize(ctx context.Context, a Authorization) (Result, error) {
	return f(ctx, a)
}
