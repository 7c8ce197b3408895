package wallet

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/bandeira/bandeira"
)

// Purpose is what a device challenge confirms: the operation and what it binds. A
// challenge confirms only an operation whose Purpose is equal to the one it was issued
// for; the device signs a message that spells it out (challenge.message), so the
// signature is the device's consent to that operation, user, card, payee and amount.
type Purpose struct {
	// Operation is one of payment, transfer, charge_payment, pin_change,
	// device_registration.
	Operation string `json:"operation"`
	// CardID is the card paid with: payment, transfer and charge_payment.
	CardID string `json:"card_id,omitempty"`
	// MerchantID is the merchant paid: payment.
	MerchantID string `json:"merchant_id,omitempty"`
	// ToPhone is the recipient's phone: transfer.
	ToPhone string `json:"to_phone,omitempty"`
	// ChargeID is the charge paid: charge_payment.
	ChargeID string `json:"charge_id,omitempty"`
	// Amount is the amount in centavos: payment (the catalog total) and transfer.
	Amount bandeira.Amount `json:"amount,omitempty"`
}

// The operations a challenge can be issued for.
const (
	opPayment            = "payment"
	opTransfer           = "transfer"
	opChargePayment      = "charge_payment"
	opPINChange          = "pin_change"
	opDeviceRegistration = "device_registration"
)

// purposeFields are, by operation, the fields a Purpose must have (and no others):
// c card, m merchant, p phone, g charge, a amount.
var purposeFields = map[string]string{
	opPayment:            "cma",
	opTransfer:           "cpa",
	opChargePayment:      "gc",
	opPINChange:          "",
	opDeviceRegistration: "",
}

// check reports a Purpose that names an unknown operation, lacks a field its operation
// binds or has one it does not (400 invalid_request).
func (p *Purpose) check() *Error {
	if p == nil {
		return errInvalid(`for: say what the challenge confirms, {"operation": ...} and what it binds`)
	}
	want, ok := purposeFields[p.Operation]
	if !ok {
		return errInvalid("for.operation: want payment, transfer, charge_payment, pin_change or device_registration")
	}
	have := map[byte]bool{'c': p.CardID != "", 'm': p.MerchantID != "", 'p': p.ToPhone != "", 'g': p.ChargeID != "", 'a': p.Amount != 0}
	names := map[byte]string{'c': "card_id", 'm': "merchant_id", 'p': "to_phone", 'g': "charge_id", 'a': "amount"}
	for _, f := range []byte("cmpga") {
		if needed := strings.IndexByte(want, f) >= 0; needed != have[f] {
			if needed {
				return errInvalid("for.%s: a %s challenge binds it", names[f], p.Operation)
			}
			return errInvalid("for.%s: a %s challenge does not bind it", names[f], p.Operation)
		}
	}
	return p.checkValues()
}

// checkValues checks the bound fields' forms, so that the message a device signs holds
// exactly one line per field: IDs as the API gives them, an E.164 phone, an amount above 0.
func (p *Purpose) checkValues() *Error {
	switch {
	case p.CardID != "" && !validID(p.CardID, "card"):
		return errInvalid("for.card_id: want a card ID")
	case p.ChargeID != "" && !validID(p.ChargeID, "chg"):
		return errInvalid("for.charge_id: want a charge ID")
	case p.ToPhone != "" && !e164.MatchString(p.ToPhone):
		return errInvalid("for.to_phone: want E.164, a + and 8 to 15 digits")
	case p.MerchantID != "" && (len(p.MerchantID) > 15 || strings.IndexFunc(p.MerchantID, notAlnum) >= 0):
		return errInvalid("for.merchant_id: want a merchant ID, up to 15 letters and digits")
	case p.Amount < 0:
		return errInvalid("for.amount: must be above 0 centavos")
	}
	return nil
}

func notAlnum(r rune) bool {
	return (r < '0' || r > '9') && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z')
}

// message is what a device signs for the challenge: its UTF-8 bytes. One line per
// field, in a fixed order, only the fields the operation binds.
func (ch *challenge) message() string {
	var b strings.Builder
	line := func(name, v string) {
		if v != "" {
			b.WriteString(name + ": " + v + "\n")
		}
	}
	b.WriteString("Bandeira wallet confirmation\n")
	line("challenge", ch.ID)
	line("nonce", ch.Nonce)
	line("user", ch.UserID)
	line("device", ch.DeviceID)
	line("operation", ch.For.Operation)
	line("card", ch.For.CardID)
	line("merchant", ch.For.MerchantID)
	line("to_phone", ch.For.ToPhone)
	line("charge", ch.For.ChargeID)
	if ch.For.Amount != 0 {
		line("amount", strconv.FormatInt(int64(ch.For.Amount), 10))
	}
	return b.String()
}

// errMismatch is a device confirmation whose challenge was issued for another operation.
func errMismatch(want Purpose) *Error {
	return newError(http.StatusForbidden, "challenge_mismatch",
		"this challenge was issued for another operation or amount: ask for one for this %s", want.Operation)
}
