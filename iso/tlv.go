package iso

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bandeira/bandeira"
)

// Field 48 tags that Bandeira reads. Other tags are carried and ignored.
const (
	// TagCVV2 holds the card verification value: 3 or 4 digits. Never log it.
	TagCVV2 = "CV"
	// TagInstallments holds the installment plan: the plan digit (1 lojista, 2 emissor),
	// a 2-digit count (lojista 02–12, emissor 02–24) and an optional 12-digit amount of the
	// first installment, which Bandeira ignores.
	TagInstallments = "IP"
	// TagProduct, in responses, holds the card product the issuer decided on: debit,
	// credit or prepaid. The acquirer prices the sale from it.
	TagProduct = "PR"
	// TagIssuer, in responses, holds the short name of the issuer that decided, as the
	// network routed it (e.g. nubank). The acquirer journals and clears by it.
	TagIssuer = "IS"
	// TagTokenRequest, in an account verification, asks the brand's token service for a
	// network token: the 11-digit token requestor ID, then the requestor's reference of the
	// card (1 to 32 letters, digits, '-' or '_').
	TagTokenRequest = "TR"
	// TagCryptogram holds a token payment's one-time cryptogram: 16 hex characters.
	TagCryptogram = "TC"
	// TagCounter holds a token payment's application transaction counter: 1 to 10 digits.
	TagCounter = "TA"
	// TagToken, in responses, holds the network token issued for the card: its number.
	// It is masked like a PAN wherever it is shown.
	TagToken = "TK"
	// TagTokenExpiry, in responses, holds the token's expiry: YYMM.
	TagTokenExpiry = "TE"
)

// requestorIDLen is the length of a token requestor ID in tag TR.
const requestorIDLen = 11

// Element is one element of field 48: a 2-character tag, then a 3-digit length, then the
// value, e.g. "CV003123".
type Element struct {
	Tag   string
	Value string
}

// ParseTLV splits field 48 into its elements, in wire order. An empty field has none. It
// returns a *FieldError for field 48 when the elements do not tile the field exactly.
func ParseTLV(s string) ([]Element, error) {
	var els []Element
	for s != "" {
		tag, v, rest, reason := nextTLV(s)
		if reason != "" {
			return nil, fieldErr(48, reason)
		}
		els = append(els, Element{Tag: tag, Value: v})
		s = rest
	}
	return els, nil
}

// FormatTLV encodes elements as field 48. It returns a *FieldError for field 48 when a tag
// is not 2 letters or digits or a value is longer than 999 characters.
func FormatTLV(els []Element) (string, error) {
	var b strings.Builder
	for _, e := range els {
		if !validTag(e.Tag) {
			return "", fieldErr(48, "tag is not 2 letters or digits")
		}
		if len(e.Value) > 999 {
			return "", fieldErr(48, "element value is longer than 999 characters")
		}
		fmt.Fprintf(&b, "%s%03d%s", e.Tag, len(e.Value), e.Value)
	}
	return b.String(), nil
}

// nextTLV reads the first element of s without allocating, except for a reason.
func nextTLV(s string) (tag, value, rest, reason string) {
	if len(s) < 5 {
		return "", "", "", "element shorter than its 5-character header"
	}
	tag = s[:2]
	if !validTag(tag) {
		return "", "", "", "tag is not 2 letters or digits"
	}
	n, ok := parseDigits(s[2:5])
	if !ok {
		return "", "", "", "element length is not 3 digits"
	}
	if len(s)-5 < n {
		return "", "", "", fmt.Sprintf("element length %d runs past the end of the field", n)
	}
	return tag, s[5 : 5+n], s[5+n:], ""
}

func validTag(t string) bool { return len(t) == 2 && isAlnum(t) }

// applyTLV parses field 48 into a: tag CV to CVV2 and tag IP to Installments. A repeated
// CV or IP tag is malformed; unknown tags are ignored.
func applyTLV(a *bandeira.Authorization, s string) error {
	var seenCV, seenIP bool
	var tc, ta string
	for s != "" {
		tag, v, rest, reason := nextTLV(s)
		if reason != "" {
			return fieldErr(48, reason)
		}
		s = rest
		if tokenTag(tag) {
			if err := applyTokenTag(a, tag, v, &tc, &ta); err != nil {
				return err
			}
			continue
		}
		switch tag {
		case TagCVV2:
			if seenCV {
				return fieldErr(48, "tag CV is repeated")
			}
			if (len(v) != 3 && len(v) != 4) || !bandeira.IsDigits(v) {
				return fieldErr(48, "tag CV is not 3 or 4 digits")
			}
			seenCV, a.CVV2 = true, v
		case TagInstallments:
			if seenIP {
				return fieldErr(48, "tag IP is repeated")
			}
			inst, reason := parseInstallments(v)
			if reason != "" {
				return fieldErr(48, reason)
			}
			seenIP, a.Installments = true, inst
		}
	}
	return cryptogram(a, tc, ta)
}

// parseInstallments decodes tag IP: plan digit, 2-digit count, optional 12-digit amount.
func parseInstallments(v string) (*bandeira.Installments, string) {
	if (len(v) != 3 && len(v) != 15) || !bandeira.IsDigits(v) {
		return nil, "tag IP is not 3 or 15 digits"
	}
	plan := bandeira.InstallmentPlan(v[0])
	count, _ := strconv.Atoi(v[1:3])
	switch {
	case plan == bandeira.PlanLojista && count >= 2 && count <= 12:
	case plan == bandeira.PlanEmissor && count >= 2 && count <= 24:
	case plan != bandeira.PlanLojista && plan != bandeira.PlanEmissor:
		return nil, "tag IP plan is not 1 (lojista) or 2 (emissor)"
	default:
		return nil, "tag IP count is out of range for its plan"
	}
	return &bandeira.Installments{Plan: plan, Count: count}, ""
}

// buildTLV encodes the field 48 elements of a (CV, IP, TR, then TC and TA); "" when it has
// none. Every element is well-formed whatever a holds; out-of-range content is the
// receiver's to reject.
func buildTLV(a bandeira.Authorization) string {
	var b []byte
	if a.CVV2 != "" {
		b = appendTLV(b, TagCVV2, a.CVV2)
	}
	if a.Installments != nil {
		b = appendTLV(b, TagInstallments, fmt.Sprintf("%c%02d", byte(a.Installments.Plan), a.Installments.Count))
	}
	return string(appendTokenTLV(b, a))
}

// appendTLV appends one element; a value over 999 characters is cut to fit.
func appendTLV(b []byte, tag, v string) []byte {
	if len(v) > 999 {
		v = v[:999]
	}
	return append(fmt.Appendf(b, "%s%03d", tag, len(v)), v...)
}

// resultTLV encodes the field 48 elements of a response to carry res: PR with the product
// when it is one of the known products, then IS with the issuer when it is a valid name;
// "" when neither applies.
func resultTLV(res bandeira.Result) string {
	var b []byte
	if res.Product.Valid() {
		b = appendTLV(b, TagProduct, string(res.Product))
	}
	if bandeira.IsPartyName(res.Issuer) {
		b = appendTLV(b, TagIssuer, res.Issuer)
	}
	if t := res.Token; t != nil {
		b = appendTLV(appendTLV(b, TagToken, t.Number.Digits()), TagTokenExpiry, t.Expiry)
	}
	return string(b)
}

// applyResultTLV reads a response's field 48 into r: PR to Product, IS to Issuer, TK and
// TE to Token. Other tags are ignored; a malformed element, a repeated PR or IS, an
// unknown product, an issuer that is not a valid name, or a token that is not a
// Luhn-valid PAN with its YYMM expiry is a *FieldError for field 48.
func applyResultTLV(r *bandeira.Result, s string) error {
	var tk, te string
	for s != "" {
		tag, v, rest, reason := nextTLV(s)
		if reason != "" {
			return fieldErr(48, reason)
		}
		s = rest
		switch tag {
		case TagProduct:
			if r.Product != "" || !bandeira.Product(v).Valid() {
				return fieldErr(48, "tag PR is repeated or not debit, credit or prepaid")
			}
			r.Product = bandeira.Product(v)
		case TagIssuer:
			if r.Issuer != "" || !bandeira.IsPartyName(v) {
				return fieldErr(48, "tag IS is repeated or not a name of 1 to 32 letters, digits, '-' or '_'")
			}
			r.Issuer = v
		case TagToken:
			tk = v
		case TagTokenExpiry:
			te = v
		}
	}
	return resultToken(r, tk, te)
}

// describeTLV renders field 48 for Describe with the CVV2 and the cryptogram hidden and the
// token masked, or hides the whole field
// when it is not valid TLV.
func describeTLV(s string) string {
	var parts []string
	for s != "" {
		tag, v, rest, reason := nextTLV(s)
		if reason != "" {
			return "[malformed TLV, hidden]"
		}
		switch tag {
		case TagCVV2, TagCryptogram:
			v = hidden
		case TagToken:
			v = bandeira.MaskPAN(v)
		}
		parts = append(parts, tag+"="+v)
		s = rest
	}
	return strings.Join(parts, " ")
}
