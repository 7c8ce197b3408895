package fault

import (
	"fmt"
	"strings"

	"github.com/bandeira/bandeira"
)

// Target names where a fault applies: a party, "issuer:NAME" or "network:NAME", or a link
// from a caller to one of its callees, "CALLER->CALLEE" ("network:mastercard->issuer:nubank",
// "gateway->network:visa"). A party target applies to every call the party answers; a link
// target only to the calls that caller makes to that callee. Which parties and links exist
// is configuration: ParseTarget checks the syntax only.
type Target string

// linkArrow separates the two roles of a link target.
const linkArrow = "->"

// The role kinds a target names.
const (
	kindGateway = "gateway"
	kindNetwork = "network"
	kindIssuer  = "issuer"
)

// ParseTarget returns s as a Target, or an error saying what a target looks like.
func ParseTarget(s string) (Target, error) {
	t := Target(s)
	if err := t.Validate(); err != nil {
		return "", err
	}
	return t, nil
}

// Link returns the target of the link from the role caller to the role callee.
func Link(caller, callee string) Target { return Target(caller + linkArrow + callee) }

// Validate reports whether t is well formed: issuer:NAME, network:NAME, or two roles
// (gateway, network:NAME, issuer:NAME) joined by "->", the second a network or an issuer.
// Names are party names (bandeira.IsPartyName).
func (t Target) Validate() error {
	caller, callee, isLink := t.Link()
	switch {
	case !isLink && (roleKind(string(t)) == kindNetwork || roleKind(string(t)) == kindIssuer):
		return nil
	case isLink && roleKind(caller) != "" && (roleKind(callee) == kindNetwork || roleKind(callee) == kindIssuer) &&
		caller != callee:
		return nil
	}
	return fmt.Errorf("target %q: want issuer:NAME, network:NAME or a link CALLER->CALLEE such as "+
		"network:mastercard->issuer:nubank or gateway->network:visa", string(t))
}

// Link splits a link target into its caller and callee roles; ok is false for a party
// target.
func (t Target) Link() (caller, callee string, ok bool) {
	return strings.Cut(string(t), linkArrow)
}

// Host returns the role of the process that applies t: the party itself, or a link's
// caller (the link is cut, or slowed, where the caller sends).
func (t Target) Host() string {
	if caller, _, ok := t.Link(); ok {
		return caller
	}
	return string(t)
}

// Answerer returns the role that answers the calls t applies to: the party itself, or a
// link's callee.
func (t Target) Answerer() string {
	if _, callee, ok := t.Link(); ok {
		return callee
	}
	return string(t)
}

// roleKind returns gateway, network or issuer for a well-formed role, else "".
func roleKind(role string) string {
	kind, name, found := strings.Cut(role, ":")
	switch {
	case kind == kindGateway && !found:
		return kindGateway
	case (kind == kindNetwork || kind == kindIssuer) && bandeira.IsPartyName(name):
		return kind
	}
	return ""
}
