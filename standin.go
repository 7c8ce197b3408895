package bandeira

import "fmt"

// StandInReason says why a network decided on an issuer's behalf (stand-in processing):
// position 1 of field 44, "Additional response data" (docs/spec.md). The zero value means
// the issuer decided (field 44 absent, or position 1 = 5).
type StandInReason byte

// The values of field 44 position 1.
const (
	// IssuerDecided: the issuer decided; no stand-in. Valid reports false for it: it is
	// not a reason to stand in.
	IssuerDecided StandInReason = '5'

	// StandInTimeout: the issuer did not answer within the network's issuer timer.
	StandInTimeout StandInReason = '1'
	// StandInUnreachable: the issuer could not be reached (link down) or answered 91.
	StandInUnreachable StandInReason = '2'
	// StandInSignedOff: the issuer had signed off from the network.
	StandInSignedOff StandInReason = '3'
)

// Valid reports whether r is one of the stand-in reasons (not the zero value).
func (r StandInReason) Valid() bool {
	return r == StandInTimeout || r == StandInUnreachable || r == StandInSignedOff
}

// String names the reason for logs and metric labels: timeout, unreachable, signed_off,
// or "" for the zero value.
func (r StandInReason) String() string {
	switch r {
	case StandInTimeout:
		return "timeout"
	case StandInUnreachable:
		return "unreachable"
	case StandInSignedOff:
		return "signed_off"
	case 0:
		return ""
	}
	return fmt.Sprintf("unknown(%q)", byte(r))
}

// ErrSignedOff means the issuer signed off (0800, field 70 = 002): it takes no requests
// until it signs on again. It wraps ErrIssuerUnavailable, so an edge answers 91 and a
// network stands in with StandInSignedOff.
var ErrSignedOff = fmt.Errorf("bandeira: issuer signed off: %w", ErrIssuerUnavailable)
