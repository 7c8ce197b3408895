package network

import (
	"errors"
	"fmt"

	"github.com/bandeira/bandeira"
)

// The BIN prefix lengths a Route may have (ISO/IEC 7812-1:2017 moved IINs from 6 to 8 digits).
const (
	MinPrefixLen = 6
	MaxPrefixLen = 8
)

// Route sends every card whose PAN starts with Prefix (6 to 8 digits) to the named issuer.
// Where prefixes overlap, the longest one wins. InstitutionID is the issuer's institution
// ID (1 to 11 digits, the same on all its routes), to which a request carrying field 100
// is routed; Product is the product of the range's cards, which stand-in rules may
// restrict. Both are optional.
type Route struct {
	Prefix        string           `yaml:"prefix"`
	Issuer        string           `yaml:"issuer"`
	InstitutionID string           `yaml:"institution_id"`
	Product       bandeira.Product `yaml:"product"`
}

// errBadPrefix reports a route prefix that is not 6 to 8 decimal digits.
var errBadPrefix = errors.New("prefix must be 6 to 8 decimal digits")

// routeTable maps BIN prefixes to an issuer index. It keeps one map per prefix length,
// keyed by the prefix's numeric value, and probes the lengths present longest first:
// at most three integer-keyed map lookups per request and no allocation.
type routeTable struct {
	byLen   [MaxPrefixLen - MinPrefixLen + 1]map[uint32]int
	lengths []int // prefix lengths that have routes, longest first
}

// add maps prefix to target. It fails on a malformed or duplicate prefix.
func (t *routeTable) add(prefix string, target int) error {
	n := len(prefix)
	if n < MinPrefixLen || n > MaxPrefixLen || !bandeira.IsDigits(prefix) {
		return fmt.Errorf("adding route %q: %w", prefix, errBadPrefix)
	}
	v, _ := leadingDigits(prefix, n)
	m := t.byLen[n-MinPrefixLen]
	if m == nil {
		m = make(map[uint32]int)
		t.byLen[n-MinPrefixLen] = m
		t.lengths = append(t.lengths, 0)
		i := len(t.lengths) - 1
		for ; i > 0 && t.lengths[i-1] < n; i-- {
			t.lengths[i] = t.lengths[i-1]
		}
		t.lengths[i] = n
	}
	if _, dup := m[v]; dup {
		return fmt.Errorf("adding route %q: duplicate prefix", prefix)
	}
	m[v] = target
	return nil
}

// lookup returns the target of the longest prefix of pan, or false if none matches.
// A non-digit ends the usable prefix, so malformed input simply matches nothing.
func (t *routeTable) lookup(pan string) (int, bool) {
	v, k := leadingDigits(pan, MaxPrefixLen)
	for _, n := range t.lengths {
		if n > k {
			continue
		}
		if target, ok := t.byLen[n-MinPrefixLen][v/pow10[k-n]]; ok {
			return target, true
		}
	}
	return 0, false
}

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// leadingDigits returns the value of the leading decimal digits of s, at most max of them,
// and how many there were.
func leadingDigits(s string, max int) (uint32, int) {
	var v uint32
	k := 0
	for k < max && k < len(s) && s[k] >= '0' && s[k] <= '9' {
		v = v*10 + uint32(s[k]-'0')
		k++
	}
	return v, k
}
