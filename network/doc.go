// Package network simulates a card network (bandeira) such as Visa or Mastercard: it routes
// each authorization to its issuer, relays the issuer's decision back to the acquirer, and
// decides on the issuer's behalf when the issuer cannot (stand-in processing, STIP).
//
// A Router is a bandeira.Authorizer for one brand. A request carrying field 100 (receiving
// institution ID) goes to the issuer with that institution ID, whatever its PAN; any other
// goes to the issuer of the longest matching BIN prefix (8, then 7, then 6 digits). Either
// way, no match is answered 15 (no such issuer). Each issuer call is limited by
// Config.IssuerTimeout.
//
// When the issuer gives no decision (it timed out, is unreachable or answered 91, or it
// signed off), the network owns the outcome. With WithStandIn it decides purchases on the
// issuer's behalf by the issuer's StandInRules, marks the answer with the reason (field 44),
// records the decision in its Store (<data-dir>/networks/<brand>.db: per-card daily totals
// and stand-in auth codes survive restarts; no PAN is kept), and queues for the issuer,
// through store-and-forward, the 0120 advice of an approval or the 0420 reversal of a
// decline. What it does not stand in for is answered 91, and the reversal of whatever may
// have posted at the issuer (or a reversal it could not deliver) is queued the same way, so
// a late approval is never left standing. docs/architecture.md ("Stand-in") has the rules.
package network
