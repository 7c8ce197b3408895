package wallet_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/wallet"
)

// TestOpenAPIIsTrue keeps /v1/openapi.json true: every route it documents is served and
// every /v1 route served is documented; and, running every scenario of TestWallet while
// counting the answers by route, every status it documents for a route was answered on
// that route, and every status answered is documented.
func TestOpenAPIIsTrue(t *testing.T) {
	reg := prometheus.NewRegistry()
	sharedMetrics = wallet.NewMetrics(reg)
	defer func() { sharedMetrics = nil }()

	h := newHarness(t)
	var doc struct {
		OpenAPI string                                                   `json:"openapi"`
		Paths   map[string]map[string]struct{ Responses map[string]any } `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(h.must(http.StatusOK, "GET", "/v1/openapi.json", nil).raw, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."))

	documented := map[string][]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			route := strings.ToUpper(method) + " " + path
			for status := range op.Responses {
				if _, err := strconv.Atoi(status); err == nil {
					documented[route] = append(documented[route], status)
				}
			}
		}
	}
	var served []string
	for _, r := range wallet.Routes() {
		if strings.Contains(r, " /v1/") {
			served = append(served, r)
		}
	}
	t.Run("documents exactly the routes served", func(t *testing.T) {
		require.ElementsMatch(t, served, keys(documented))
	})

	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, newHarness(t)) })
	}
	observed := answered(t, reg)
	for _, route := range served {
		t.Run("documents the statuses "+route+" answers", func(t *testing.T) {
			want, got := documented[route], observed[route]
			sort.Strings(want)
			sort.Strings(got)
			require.Equal(t, want, got, "documented (expected) against answered (actual)")
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// answered reads bandeira_wallet_requests_total into the statuses answered by route.
func answered(t *testing.T, reg *prometheus.Registry) map[string][]string {
	families, err := reg.Gather()
	require.NoError(t, err)
	out := map[string][]string{}
	for _, f := range families {
		if f.GetName() != "bandeira_wallet_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			route, status := label(m, "route"), label(m, "status")
			if !slices.Contains(out[route], status) {
				out[route] = append(out[route], status)
			}
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
