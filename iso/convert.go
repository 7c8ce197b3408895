package iso

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bandeira/bandeira"
)

// ToAuthorization converts a request into domain terms. It checks the content of every
// field it converts and returns a *FieldError, never naming the value, for content it
// cannot use: an MTI that is not a request of class 1, 2, 4 or 8; a PAN that is not 12–19
// digits (the Luhn check is the gateway's, answering 14); letters in a numeric field; an
// impossible date or time in fields 7, 12 or 13; a malformed field 48 TLV, 52 PIN block,
// 90 or 95; a field 39 that is not 2 letters or digits. An advice's 39 and 44 (the
// decision taken on the issuer's behalf and why) go to ResponseCode and StandIn; a field
// 44 whose position 1 is not 1, 2 or 3 means no stand-in. It does not require any field:
// missing mandatory fields are the gateway's
// decision. Field 35 only sets Track2Present; its content is not kept.
//
// Values are kept as they appear on the wire: text fields keep their padding (a 9-character
// merchant ID in field 42 arrives as 15 characters with trailing spaces).
func ToAuthorization(m Message) (bandeira.Authorization, error) {
	if !isServedRequest(m.MTI) {
		return bandeira.Authorization{}, fieldErr(0, "is not a request of class 1, 2, 4 or 8")
	}
	a := bandeira.Authorization{MTI: bandeira.MTI(m.MTI)}
	for i := range plainFields {
		f := &plainFields[i]
		v, ok := m.Fields[f.num]
		if !ok {
			continue
		}
		if reason := f.check(v); reason != "" {
			return bandeira.Authorization{}, fieldErr(f.num, reason)
		}
		if f.text {
			v = strings.TrimRight(v, " ") // fixed ans fields arrive space-padded
		}
		*f.dst(&a) = v
	}
	if err := convertStructured(&a, m); err != nil {
		return bandeira.Authorization{}, err
	}
	return a, nil
}

// convertStructured converts the fields that are not copied as plain strings.
func convertStructured(a *bandeira.Authorization, m Message) error {
	var err error
	if v, ok := m.Fields[2]; ok {
		if a.PAN, err = bandeira.ParsePAN(v); err != nil {
			return fieldErr(2, "is not 12 to 19 digits")
		}
	}
	if v, ok := m.Fields[4]; ok {
		amount, ok := parseAmount(v)
		if !ok {
			return fieldErr(4, "is not 12 digits")
		}
		a.Amount, a.AmountPresent = amount, true
	}
	_, a.Track2Present = m.Fields[35]
	if v, ok := m.Fields[48]; ok {
		if err := applyTLV(a, v); err != nil {
			return err
		}
	}
	if v, ok := m.Fields[90]; ok {
		if a.Original, ok = parseOriginal(v); !ok {
			return fieldErr(90, "is not 42 digits")
		}
	}
	if v, ok := m.Fields[95]; ok {
		amount, ok := parseAmount(v[:min(len(v), 12)])
		if !ok || len(v) != 42 {
			return fieldErr(95, "is not 42 characters starting with a 12-digit amount")
		}
		a.Replacement = &amount
	}
	return convertAdvice(a, m)
}

// convertAdvice reads what an advice carries of the decision taken on the issuer's
// behalf: 39 (2 letters or digits) and field 44's stand-in reason.
func convertAdvice(a *bandeira.Authorization, m Message) error {
	if v, ok := m.Fields[39]; ok {
		if len(v) != 2 || !isAlnum(v) {
			return fieldErr(39, "is not 2 letters or digits")
		}
		a.ResponseCode = bandeira.ResponseCode(v)
	}
	if v, ok := m.Fields[44]; ok {
		a.StandIn = standInReason(v)
	}
	return nil
}

// standInReason reads position 1 of field 44: 1, 2 or 3 is a stand-in reason; anything
// else (5, the issuer decided, or a value of another network's dialect) is the zero value.
func standInReason(v string) bandeira.StandInReason {
	if v == "" {
		return 0
	}
	if r := bandeira.StandInReason(v[0]); r.Valid() {
		return r
	}
	return 0
}

// FromAuthorization builds the request message for a, the inverse of ToAuthorization:
// every non-empty field is set, field 4 when AmountPresent or Amount is non-zero, field 48
// from CVV2 and Installments, 90 from Original and 95 from Replacement (actual amount,
// repeated as settlement and billing amounts, then 6 zeros), and on an advice 39 from
// ResponseCode and 44 from StandIn. Field 35 is never set:
// Authorization does not keep track 2. It does not validate: Pack or the receiver
// rejects what does not fit (a negative or 13-digit amount, for one).
func FromAuthorization(a bandeira.Authorization) Message {
	m := Message{MTI: string(a.MTI), Fields: make(map[int]string, 24)}
	for i := range plainFields {
		f := &plainFields[i]
		if v := *f.dst(&a); v != "" {
			m.Fields[f.num] = v
		}
	}
	if a.PAN != "" {
		m.Fields[2] = a.PAN.Digits()
	}
	if a.AmountPresent || a.Amount != 0 {
		m.Fields[4] = formatAmount(a.Amount)
	}
	if v := buildTLV(a); v != "" {
		m.Fields[48] = v
	}
	if o := a.Original; o != nil {
		m.Fields[90] = fmt.Sprintf("%04s%06s%010s%011s%011s", o.MTI, o.STAN, o.TransmissionTime, o.AcquirerID, o.ForwardingID)
	}
	if r := a.Replacement; r != nil {
		m.Fields[95] = replacementAmounts(*r)
	}
	if a.ResponseCode != "" {
		m.Fields[39] = string(a.ResponseCode)
	}
	if a.StandIn.Valid() {
		m.Fields[44] = string(rune(a.StandIn))
	}
	return m
}

// replacementAmounts formats field 95: the actual amount, repeated as the settlement and
// cardholder billing amounts, then 6 zeros.
func replacementAmounts(a bandeira.Amount) string {
	amount := formatAmount(a)
	return amount + amount + amount + "000000"
}

// plainField is a field copied into Authorization as a string after a content check.
type plainField struct {
	num   int
	check func(string) string // returns the reason v is unusable, or ""
	dst   func(*bandeira.Authorization) *string
	text  bool // trailing space padding is dropped on the way in
}

type auth = bandeira.Authorization

var plainFields = [...]plainField{
	{3, digits(6), func(a *auth) *string { return &a.ProcessingCode }, false},
	{7, dateTime("MMDDhhmmss"), func(a *auth) *string { return &a.TransmissionTime }, false},
	{11, digits(6), func(a *auth) *string { return &a.STAN }, false},
	{12, dateTime("hhmmss"), func(a *auth) *string { return &a.LocalTime }, false},
	{13, dateTime("MMDD"), func(a *auth) *string { return &a.LocalDate }, false},
	{14, digits(4), func(a *auth) *string { return &a.Expiry }, false},
	{18, digits(4), func(a *auth) *string { return &a.MCC }, false},
	{19, digits(3), func(a *auth) *string { return &a.Country }, false},
	{22, digits(3), func(a *auth) *string { return &a.POSEntryMode }, false},
	{25, digits(2), func(a *auth) *string { return &a.POSCondition }, false},
	{32, digitsUpTo(11), func(a *auth) *string { return &a.AcquirerID }, false},
	{33, digitsUpTo(11), func(a *auth) *string { return &a.ForwardingID }, false},
	{37, textUpTo(12), func(a *auth) *string { return &a.RRN }, true},
	{38, textUpTo(6), func(a *auth) *string { return &a.AuthCode }, true},
	{41, textUpTo(8), func(a *auth) *string { return &a.TerminalID }, true},
	{42, textUpTo(15), func(a *auth) *string { return &a.MerchantID }, true},
	{43, textUpTo(40), func(a *auth) *string { return &a.MerchantName }, true},
	{49, digits(3), func(a *auth) *string { return &a.Currency }, false},
	{52, hexDigits(16), func(a *auth) *string { return &a.PINBlock }, false},
	{70, digits(3), func(a *auth) *string { return &a.NetworkCode }, false},
	{100, digitsUpTo(11), func(a *auth) *string { return &a.ReceivingInstitution }, false},
}

func digits(n int) func(string) string {
	reason := fmt.Sprintf("is not %d digits", n)
	return func(v string) string {
		if len(v) != n || !bandeira.IsDigits(v) {
			return reason
		}
		return ""
	}
}

func digitsUpTo(n int) func(string) string {
	reason := fmt.Sprintf("is not 1 to %d digits", n)
	return func(v string) string {
		if len(v) > n || !bandeira.IsDigits(v) {
			return reason
		}
		return ""
	}
}

func textUpTo(n int) func(string) string {
	reason := fmt.Sprintf("is longer than %d characters", n)
	return func(v string) string {
		if len(v) > n {
			return reason
		}
		return ""
	}
}

func hexDigits(n int) func(string) string {
	reason := fmt.Sprintf("is not %d hex characters", n)
	return func(v string) string {
		if len(v) != n || !isHex(v) {
			return reason
		}
		return ""
	}
}

// dateTime checks digits laid out as layout, a run of MM, DD, hh, mm and ss pairs, with
// each pair in range (month 01–12, day 01–31, hour 00–23, minute and second 00–59).
func dateTime(layout string) func(string) string {
	reason := "is not a valid " + layout
	limits := map[string][2]int{"MM": {1, 12}, "DD": {1, 31}, "hh": {0, 23}, "mm": {0, 59}, "ss": {0, 59}}
	return func(v string) string {
		if len(v) != len(layout) || !bandeira.IsDigits(v) {
			return reason
		}
		for i := 0; i < len(v); i += 2 {
			n := int(v[i]-'0')*10 + int(v[i+1]-'0')
			if lim := limits[layout[i:i+2]]; n < lim[0] || n > lim[1] {
				return reason
			}
		}
		return ""
	}
}

// isServedRequest reports whether mti is a version-0 request or advice of a class Bandeira
// serves: authorization, financial, reversal or network management.
func isServedRequest(mti string) bool {
	m := bandeira.MTI(mti)
	if len(mti) != 4 || !bandeira.IsDigits(mti) || mti[0] != '0' || !m.IsRequest() {
		return false
	}
	return strings.IndexByte("1248", m.Class()) >= 0
}

// parseAmount parses 12 digits of centavos.
func parseAmount(v string) (bandeira.Amount, bool) {
	if len(v) != 12 || !bandeira.IsDigits(v) {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return bandeira.Amount(n), err == nil
}

// formatAmount formats centavos as 12 digits (more for amounts that do not fit).
func formatAmount(a bandeira.Amount) string { return fmt.Sprintf("%012d", int64(a)) }

// parseOriginal splits field 90. The acquirer and forwarding IDs lose their zero padding,
// so they compare equal to fields 32 and 33; all zeros means absent ("").
func parseOriginal(v string) (*bandeira.OriginalData, bool) {
	if len(v) != 42 || !bandeira.IsDigits(v) {
		return nil, false
	}
	return &bandeira.OriginalData{
		MTI:              bandeira.MTI(v[0:4]),
		STAN:             v[4:10],
		TransmissionTime: v[10:20],
		AcquirerID:       strings.TrimLeft(v[20:31], "0"),
		ForwardingID:     strings.TrimLeft(v[31:42], "0"),
	}, true
}

// echoed are the request fields every response carries back unchanged when present.
// Field 95 is not among them: a response carries its own (Result.Remaining).
var echoed = [...]int{2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49}

// Respond builds the response to req carrying res: MTI = req's response MTI (0100 →
// 0110, 0101 → 0110); fields 2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42 and 49 echoed when
// present, plus 70 for network management and 90 for reversals; 39 always (96 when
// res.Code is empty); 38 when approved with an AuthCode; 44 with the stand-in reason
// when res.StandIn is one; 54 when res.Balances is set; 95 when res.Remaining is set (the
// request's 95 is never echoed: the answer says what the responder applied); 48 with tags
// PR (res.Product) and IS (res.Issuer) when either is set. The request's field 48 is
// never echoed (it may hold the CVV2). For a req that is not a request the MTI is "" and
// Pack rejects the response.
//
// Respond and ToResult are inverses for every Result whose Brand is empty and whose
// StandIn is zero or a valid reason: whatever a party decides travels in the message, so a hop behaves the same in process and over TCP.
func Respond(req Message, res bandeira.Result) Message {
	mti := bandeira.MTI(req.MTI)
	resp := Message{MTI: string(mti.Response()), Fields: make(map[int]string, len(echoed)+4)}
	for _, n := range echoed {
		if v, ok := req.Fields[n]; ok {
			resp.Fields[n] = v
		}
	}
	if keep := classField(mti.Class()); keep != 0 {
		if v, ok := req.Fields[keep]; ok {
			resp.Fields[keep] = v
		}
	}
	code := res.Code
	if code == "" {
		code = bandeira.SystemMalfunction
	}
	resp.Fields[39] = string(code)
	if code.Approved() && res.AuthCode != "" {
		resp.Fields[38] = res.AuthCode
	}
	if r := res.Remaining; r != nil {
		resp.Fields[95] = replacementAmounts(*r)
	}
	if b := res.Balances; b != nil {
		cur := b.Currency
		if cur == "" {
			cur = req.Fields[49]
		}
		if cur == "" {
			cur = bandeira.CurrencyBRL
		}
		resp.Fields[54] = balanceGroup(amountLedger, cur, b.Ledger) + balanceGroup(amountAvailable, cur, b.Available)
	}
	if v := resultTLV(res); v != "" {
		resp.Fields[48] = v
	}
	if res.StandIn.Valid() {
		resp.Fields[44] = string(rune(res.StandIn))
	}
	return resp
}

// classField is the field a response of the class echoes besides the common ones:
// 70 for network management, 90 for reversals.
func classField(class byte) int {
	switch class {
	case '8':
		return 70
	case '4':
		return 90
	}
	return 0
}

// ToResult converts a response into domain terms: 39 to Code, 38 to AuthCode, field 44's
// stand-in reason (position 1: 1, 2 or 3; anything else means the issuer decided) to
// StandIn, 54's ledger (amount type 01) and available (02) balances to Balances, 95's
// actual amount to Remaining, and field 48's tags PR and IS to Product and Issuer. It
// returns a *FieldError when 39 is missing or not 2 letters or digits, 38 is longer than
// 6 characters, 54 is not a run of well-formed 20-character groups, 95 is not 42
// characters starting with 12 digits, or 48 is malformed. Brand is not on the wire: the
// caller knows which network it asked.
func ToResult(resp Message) (bandeira.Result, error) {
	code, ok := resp.Fields[39]
	if !ok {
		return bandeira.Result{}, fieldErr(39, "is missing")
	}
	if len(code) != 2 || !isAlnum(code) {
		return bandeira.Result{}, fieldErr(39, "is not 2 letters or digits")
	}
	r := bandeira.Result{Code: bandeira.ResponseCode(code)}
	if v, ok := resp.Fields[38]; ok {
		if len(v) > 6 {
			return bandeira.Result{}, fieldErr(38, "is longer than 6 characters")
		}
		r.AuthCode = v
	}
	if v, ok := resp.Fields[54]; ok {
		b, reason := parseBalances(v)
		if reason != "" {
			return bandeira.Result{}, fieldErr(54, reason)
		}
		r.Balances = b
	}
	if v, ok := resp.Fields[95]; ok {
		amount, ok := parseAmount(v[:min(len(v), 12)])
		if !ok || len(v) != 42 {
			return bandeira.Result{}, fieldErr(95, "is not 42 characters starting with a 12-digit amount")
		}
		r.Remaining = &amount
	}
	if v, ok := resp.Fields[48]; ok {
		if err := applyResultTLV(&r, v); err != nil {
			return bandeira.Result{}, err
		}
	}
	if v, ok := resp.Fields[44]; ok {
		r.StandIn = standInReason(v)
	}
	return r, nil
}

// Field 54 amount types.
const (
	amountLedger    = "01"
	amountAvailable = "02"
)

// balanceGroup formats one 20-character field 54 group: account type "00", amount type,
// currency, C (credit) or D (debit, for a negative amount) and 12 digits, capped at
// 999999999999.
func balanceGroup(amountType, currency string, a bandeira.Amount) string {
	sign, v := "C", int64(a)
	if v < 0 {
		sign, v = "D", -v
	}
	if v < 0 || v > 999_999_999_999 { // -v overflows for the minimum int64
		v = 999_999_999_999
	}
	return fmt.Sprintf("00%s%03s%s%012d", amountType, currency, sign, v)[:20]
}

// parseBalances reads field 54's groups; groups of other amount types are ignored, and
// the result is nil when there is neither a ledger nor an available amount.
func parseBalances(v string) (*bandeira.Balances, string) {
	if len(v) == 0 || len(v)%20 != 0 {
		return nil, "is not a run of 20-character amount groups"
	}
	var b *bandeira.Balances
	for ; v != ""; v = v[20:] {
		g := v[:20]
		amount, ok := parseAmount(g[8:20])
		if !ok || !bandeira.IsDigits(g[4:7]) || (g[7] != 'C' && g[7] != 'D') {
			return nil, "has a malformed amount group"
		}
		if g[7] == 'D' {
			amount = -amount
		}
		if t := g[2:4]; t == amountLedger || t == amountAvailable {
			if b == nil {
				b = &bandeira.Balances{Currency: g[4:7]}
			}
			if t == amountLedger {
				b.Ledger = amount
			} else {
				b.Available = amount
			}
		}
	}
	return b, ""
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
