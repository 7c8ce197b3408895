package network

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// approver is a fake issuer that approves everything.
var approver = bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
	return bandeira.Result{Code: bandeira.Approved}, nil
})

// overlapRoutes exercise 6-, 7- and 8-digit prefixes nested inside each other.
var overlapRoutes = []Route{
	{Prefix: "400001", Issuer: "six"},
	{Prefix: "4000012", Issuer: "seven"},
	{Prefix: "40000123", Issuer: "eight"},
	{Prefix: "40000124", Issuer: "eight-b"},
	{Prefix: "5260010", Issuer: "seven"},
	{Prefix: "52600103", Issuer: "eight"},
	{Prefix: "000000", Issuer: "six"},
}

func issuersNamed(names ...string) map[string]bandeira.Authorizer {
	m := make(map[string]bandeira.Authorizer, len(names))
	for _, n := range names {
		m[n] = approver
	}
	return m
}

func mustRouter(tb testing.TB, routes []Route, issuers map[string]bandeira.Authorizer, m *Metrics) *Router {
	tb.Helper()
	r, err := NewRouter(bandeira.Visa, DefaultConfig(), routes, issuers, zerolog.Nop(), m)
	require.NoError(tb, err)
	return r
}

func TestLookup(t *testing.T) {
	r := mustRouter(t, overlapRoutes, issuersNamed("six", "seven", "eight", "eight-b"), nil)
	tests := []struct {
		name   string
		pan    bandeira.PAN
		issuer string // "" means no route
	}{
		{"an 8-digit prefix beats the 7 and 6 it sits in", "4000012300000001", "eight"},
		{"a sibling 8-digit prefix routes to its own issuer", "4000012400000001", "eight-b"},
		{"a 7-digit prefix wins where no 8-digit one matches", "4000012900000001", "seven"},
		{"the 6-digit prefix catches the rest of its range", "4000019900000001", "six"},
		{"a 7-digit prefix matches without a 6-digit parent", "5260010900000001", "seven"},
		{"an 8-digit prefix inside a lone 7-digit prefix wins", "5260010300000001", "eight"},
		{"leading zeros are significant", "0000001234567890", "six"},
		{"an unknown BIN matches nothing", "4111111111111111", ""},
		{"a neighbour of a 6-digit prefix matches nothing", "4000020000000001", ""},
		{"a PAN shorter than every prefix matches nothing", "40000", ""},
		{"a PAN of exactly 6 digits matches the 6-digit prefix", "400001", "six"},
		{"a PAN of exactly 7 digits matches the 7-digit prefix", "4000012", "seven"},
		{"a non-digit inside the prefix stops the match", "40000x2300000001", ""},
		{"a non-digit after 6 digits still allows the 6-digit match", "400001x300000001", "six"},
		{"an empty PAN matches nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := r.Lookup(tt.pan)
			require.Equal(t, tt.issuer != "", ok)
			require.Equal(t, tt.issuer, got)
		})
	}
}

func TestNewRouterRejects(t *testing.T) {
	issuers := issuersNamed("a", "b")
	issuers["nil"] = nil
	tests := []struct {
		name    string
		brand   bandeira.Brand
		cfg     Config
		routes  []Route
		wantErr string
	}{
		{"an empty brand", "", DefaultConfig(), nil, "empty brand"},
		{"an invalid config", bandeira.Visa, Config{}, nil, "issuer_timeout"},
		{"a 5-digit prefix", bandeira.Visa, DefaultConfig(), []Route{{Prefix: "40000", Issuer: "a"}}, "6 to 8 decimal digits"},
		{"a 9-digit prefix", bandeira.Visa, DefaultConfig(), []Route{{Prefix: "400001011", Issuer: "a"}}, "6 to 8 decimal digits"},
		{"a prefix with a letter", bandeira.Visa, DefaultConfig(), []Route{{Prefix: "40000A01", Issuer: "a"}}, "6 to 8 decimal digits"},
		{"a duplicate prefix", bandeira.Visa, DefaultConfig(), []Route{{Prefix: "40000101", Issuer: "a"}, {Prefix: "40000101", Issuer: "b"}}, "duplicate prefix"},
		{"a duplicate prefix to the same issuer", bandeira.Visa, DefaultConfig(), []Route{{Prefix: "400001", Issuer: "a"}, {Prefix: "400001", Issuer: "a"}}, "duplicate prefix"},
		{"an unknown issuer", bandeira.Visa, DefaultConfig(), []Route{{Prefix: "40000101", Issuer: "c"}}, `unknown issuer "c"`},
		{"a nil issuer", bandeira.Visa, DefaultConfig(), []Route{{Prefix: "40000101", Issuer: "nil"}}, `unknown issuer "nil"`},
		{"an empty issuer name", bandeira.Visa, DefaultConfig(), []Route{{Prefix: "40000101", Issuer: ""}}, `unknown issuer ""`},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			r, err := NewRouter(tt.brand, tt.cfg, tt.routes, issuers, zerolog.Nop(), nil)
			require.ErrorContains(t, err, tt.wantErr)
			require.Nil(t, r)
		})
	}
	t.Run("accepts no routes at all", func(t *testing.T) {
		r, err := NewRouter(bandeira.Visa, DefaultConfig(), nil, nil, zerolog.Nop(), nil)
		require.NoError(t, err)
		_, ok := r.Lookup("4000010100000001")
		require.False(t, ok)
	})
}

func BenchmarkRoute(b *testing.B) {
	routes := []Route{
		{Prefix: "40000101", Issuer: "bancodobrasil"}, {Prefix: "40000102", Issuer: "bancodobrasil"},
		{Prefix: "47480101", Issuer: "sicredi"}, {Prefix: "47480102", Issuer: "sicredi"},
	}
	routes = append(routes, Route{Prefix: "400001", Issuer: "sicredi"}, Route{Prefix: "4000012", Issuer: "nubank"})
	for i := range 1000 { // a realistic table: a thousand more 8-digit ranges
		routes = append(routes, Route{Prefix: "41" + leftPad(i, 6), Issuer: "nubank"})
	}
	r := mustRouter(b, routes, issuersNamed("bancodobrasil", "nubank", "sicredi"), nil)
	cases := []struct {
		name string
		pan  bandeira.PAN
	}{
		{"8-digit match", "4748010200000001"},
		{"7-digit match", "4000012900000001"},
		{"6-digit match", "4000019900000001"},
		{"no match", "4999999900000001"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = r.Lookup(c.pan)
			}
		})
	}
}

func leftPad(n, width int) string {
	s := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		s[i] = byte('0' + n%10)
		n /= 10
	}
	return string(s)
}
