package gateway

import "github.com/bandeira/bandeira"

// Field size limits of ISO 8583:1987, as docs/spec.md ("Fields") lists them.
const (
	maxAmount       = 999_999_999_999 // n12
	maxTerminalLen  = 8               // ans8
	maxMerchantLen  = 15              // ans15
	stanLen         = 6               // n6
	transmissionLen = 10              // n10 MMDDhhmmss
)

// checkField reports whether field n of a is present and well formed. It never returns
// or logs the field's value.
func checkField(n int, a *bandeira.Authorization) problem {
	switch n {
	case 2:
		if a.PAN == "" {
			return fieldMissing
		}
		return wellFormed(parsesAsPAN(a.PAN))
	case 3:
		return fixedDigits(a.ProcessingCode, 6)
	case 4:
		if !a.AmountPresent {
			return fieldMissing
		}
		return wellFormed(a.Amount >= 0 && a.Amount <= maxAmount)
	case 7:
		return dateTime(a.TransmissionTime)
	case 11:
		return fixedDigits(a.STAN, stanLen)
	case 14:
		return expiry(a.Expiry)
	case 32:
		return varDigits(a.AcquirerID, maxAcquirerIDLen)
	case 41:
		return text(a.TerminalID, maxTerminalLen)
	case 42:
		return text(a.MerchantID, maxMerchantLen)
	case 49:
		return fixedDigits(a.Currency, 3)
	case 90:
		return originalData(a.Original)
	}
	return fieldMissing // a field the table names but this function does not know
}

func wellFormed(ok bool) problem {
	if ok {
		return fieldOK
	}
	return fieldMalformed
}

func parsesAsPAN(p bandeira.PAN) bool {
	_, err := bandeira.ParsePAN(p.Digits())
	return err == nil
}

func fixedDigits(s string, n int) problem {
	if s == "" {
		return fieldMissing
	}
	return wellFormed(len(s) == n && bandeira.IsDigits(s))
}

func varDigits(s string, maxLen int) problem {
	if s == "" {
		return fieldMissing
	}
	return wellFormed(len(s) <= maxLen && bandeira.IsDigits(s))
}

// text checks an ans field: printable ASCII, at most maxLen characters.
func text(s string, maxLen int) problem {
	if s == "" {
		return fieldMissing
	}
	if len(s) > maxLen {
		return fieldMalformed
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return fieldMalformed
		}
	}
	return fieldOK
}

// dateTime checks field 7: MMDDhhmmss with every part in range.
func dateTime(s string) problem {
	if p := fixedDigits(s, transmissionLen); p != fieldOK {
		return p
	}
	mm, dd, hh, mi, ss := twoDigits(s, 0), twoDigits(s, 2), twoDigits(s, 4), twoDigits(s, 6), twoDigits(s, 8)
	return wellFormed(mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31 && hh <= 23 && mi <= 59 && ss <= 59)
}

// expiry checks field 14: YYMM with a month from 01 to 12.
func expiry(s string) problem {
	if p := fixedDigits(s, 4); p != fieldOK {
		return p
	}
	mm := twoDigits(s, 2)
	return wellFormed(mm >= 1 && mm <= 12)
}

// originalData checks field 90: the original MTI, STAN and transmission time.
func originalData(o *bandeira.OriginalData) problem {
	if o == nil {
		return fieldMissing
	}
	ok := len(o.MTI) == 4 && bandeira.IsDigits(string(o.MTI)) &&
		fixedDigits(o.STAN, stanLen) == fieldOK &&
		dateTime(o.TransmissionTime) == fieldOK
	return wellFormed(ok)
}

// twoDigits returns the number in s[i:i+2]; s must be all digits.
func twoDigits(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }
