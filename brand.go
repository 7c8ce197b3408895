package bandeira

// Brand is a card network (bandeira): visa or mastercard.
type Brand string

// The brands Bandeira simulates.
const (
	Visa       Brand = "visa"
	Mastercard Brand = "mastercard"
)

// BrandOf infers the brand from the PAN prefix: 4 is Visa; 51–55 and 2221–2720 are
// Mastercard. It returns "" for anything else.
func BrandOf(p PAN) Brand {
	s := p.Digits()
	if len(s) < 4 {
		return ""
	}
	if s[0] == '4' {
		return Visa
	}
	if s[0] == '5' && s[1] >= '1' && s[1] <= '5' {
		return Mastercard
	}
	if s[0] == '2' {
		n := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
		if n >= 2221 && n <= 2720 {
			return Mastercard
		}
	}
	return ""
}

// Product is the kind of card account: debit, credit or prepaid.
type Product string

// The card products.
const (
	Debit   Product = "debit"
	Credit  Product = "credit"
	Prepaid Product = "prepaid"
)

// Valid reports whether p is one of the known products.
func (p Product) Valid() bool { return p == Debit || p == Credit || p == Prepaid }

// IsPartyName reports whether s can name a party of the network (an issuer, a network):
// 1 to 32 characters, each a lowercase ASCII letter, a digit, '-' or '_'. Names travel in
// messages (field 48 tag IS), metric labels, file names and node roles, so nothing else
// is allowed.
func IsPartyName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
