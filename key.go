package bandeira

import "strings"

// Key identifies a request for duplicate detection and for matching a reversal or a
// completion to its original: acquirer ID (field 32), terminal (41), STAN (11) and
// transmission time (7). One key names one request and binds it to one outcome for good
// (docs/ledger.md, "Requests, holds and idempotency").
//
// A Key holds the fields as they came on the wire (Authorization.Key), which is what the
// acquirer journals and clears. Two keys name the same request when their normal forms
// (Normal) are equal: every party compares, indexes and looks keys up in normal form.
type Key struct {
	AcquirerID, TerminalID, STAN, TransmissionTime string
}

// Normal returns k in normal form: the acquirer ID and the STAN without leading zeros (a
// value of zeros only becomes "0", an empty one stays empty); the terminal and the
// transmission time as they are. Field 90 carries the original's acquirer ID zero-padded
// to 11 digits and its STAN to 6, field 32 is variable length, so only normal forms
// compare. Normal is idempotent and allocates nothing.
func (k Key) Normal() Key {
	return Key{AcquirerID: trimZeros(k.AcquirerID), TerminalID: k.TerminalID, STAN: trimZeros(k.STAN),
		TransmissionTime: k.TransmissionTime}
}

func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

// Key returns the request's own key, fields as on the wire. Compare it in normal form.
func (a *Authorization) Key() Key {
	return Key{a.AcquirerID, a.TerminalID, a.STAN, a.TransmissionTime}
}

// OriginalKey returns, in normal form, the key of the request that a reversal
// (0400/0401/0420/0421) or a completion advice (0220/0221) refers to. Field 90 names the
// original's acquirer ID, STAN and transmission time; an acquirer ID of zeros there means
// the request's own field 32. Field 90 carries no terminal: a reversal or completion comes
// from its original's terminal, so the request's own field 41 completes the key. Without
// field 90 the original is the request's own key (a reversal sent under its original's
// key).
func (a *Authorization) OriginalKey() Key {
	o := a.Original
	if o == nil {
		return a.Key().Normal()
	}
	acquirer := o.AcquirerID
	if strings.Trim(acquirer, "0") == "" {
		acquirer = a.AcquirerID
	}
	return Key{AcquirerID: acquirer, TerminalID: a.TerminalID, STAN: o.STAN, TransmissionTime: o.TransmissionTime}.Normal()
}
