// Package network simulates a card network (bandeira) such as Visa or Mastercard: it routes
// each authorization to the issuer that owns the card's BIN range and relays the issuer's
// decision back to the acquirer.
//
// A Router is a bandeira.Authorizer for one brand. It picks the issuer by the longest
// matching BIN prefix (8, then 7, then 6 digits), answers 15 (no such issuer) when no range
// matches, and limits each issuer call with Config.IssuerTimeout. An issuer that fails or
// does not answer in time yields an error wrapping bandeira.ErrIssuerUnavailable, which the
// edge maps to 91; stand-in processing (STIP) is not implemented yet.
package network
