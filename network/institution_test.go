package network

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// naming is a fake issuer that answers 00 with its own name, so a test sees who decided.
func naming(name string) bandeira.Authorizer {
	return bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
		return bandeira.Result{Code: bandeira.Approved, Issuer: name}, nil
	})
}

func TestRoutingByReceivingInstitution(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	routes := []Route{
		{Prefix: "40000101", Issuer: "bancodobrasil", InstitutionID: "001"},
		{Prefix: "40000102", Issuer: "bancodobrasil", InstitutionID: "001"},
		{Prefix: "47480101", Issuer: "sicredi", InstitutionID: "748"},
		{Prefix: "45000101", Issuer: "nobody"},
	}
	issuers := map[string]bandeira.Authorizer{"bancodobrasil": naming("bancodobrasil"), "sicredi": naming("sicredi"),
		"nobody": naming("nobody")}
	r, err := NewRouter(bandeira.Visa, DefaultConfig(), routes, issuers, zerolog.Nop(), m)
	require.NoError(t, err)
	tests := []struct {
		name, pan, institution, want string
	}{
		{"routes by BIN without field 100", "4748010100000001", "", "sicredi"},
		{"routes to field 100's issuer whatever the PAN", "4748010100000001", "001", "bancodobrasil"},
		{"reads field 100 without its leading zeros", "4000010100000001", "748", "sicredi"},
		{"matches field 100 padded with more zeros", "4000010100000001", "00000000748", "sicredi"},
		{"routes by field 100 a PAN no BIN route knows", "4999999900000001", "1", "bancodobrasil"},
		{"answers 15 to an institution no issuer has", "4748010100000001", "260", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := purchase(bandeira.PAN(tt.pan))
			a.ReceivingInstitution = tt.institution
			res, err := r.Authorize(context.Background(), a)
			require.NoError(t, err)
			if tt.want == "" {
				require.Equal(t, bandeira.NoSuchIssuer, res.Code)
				return
			}
			require.Equal(t, bandeira.Approved, res.Code)
			require.Equal(t, tt.want, res.Issuer)
		})
	}
	require.Equal(t, 1.0, value(t, m.Unrouted.WithLabelValues("visa")))
}

func TestNewRouterRejectsInstitutions(t *testing.T) {
	issuers := issuersNamed("a", "b")
	tests := []struct {
		name    string
		routes  []Route
		wantErr string
	}{
		{"two issuers sharing an institution ID", []Route{{Prefix: "40000101", Issuer: "a", InstitutionID: "260"},
			{Prefix: "40000102", Issuer: "b", InstitutionID: "0260"}}, `issuers "a" and "b" share institution ID 0260`},
		{"an issuer with two institution IDs", []Route{{Prefix: "40000101", Issuer: "a", InstitutionID: "260"},
			{Prefix: "40000102", Issuer: "a", InstitutionID: "261"}}, `issuer "a" has institution IDs "260" and "261"`},
		{"an institution ID with a letter", []Route{{Prefix: "40000101", Issuer: "a", InstitutionID: "26A"}},
			`institution ID "26A" is not 1 to 11 digits`},
		{"an institution ID of 12 digits", []Route{{Prefix: "40000101", Issuer: "a", InstitutionID: "123456789012"}},
			"is not 1 to 11 digits"},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			_, err := NewRouter(bandeira.Visa, DefaultConfig(), tt.routes, issuers, zerolog.Nop(), nil)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
