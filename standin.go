package bandeira

// StandInReason is position 1 of field 44 (additional response data): who decided a
// response, and why the network decided it on the issuer's behalf (stand-in processing).
// The zero value means the field is absent, which also means the issuer decided (a peer
// that does not send field 44). docs/spec.md lists the values.
type StandInReason byte

// The values of field 44 position 1.
const (
	// IssuerDecided: the issuer decided; no stand-in.
	IssuerDecided StandInReason = '5'
	// StandInTimeout: the network stood in because the issuer did not answer in time.
	StandInTimeout StandInReason = '1'
	// StandInUnreachable: the network stood in because the issuer could not be reached
	// (no link up, or it answered 91).
	StandInUnreachable StandInReason = '2'
	// StandInSignedOff: the network stood in because the issuer had signed off.
	StandInSignedOff StandInReason = '3'
)
