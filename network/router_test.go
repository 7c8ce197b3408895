package network

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// blocker is a fake issuer that waits for its context to end and returns its error.
var blocker = bandeira.AuthorizerFunc(func(ctx context.Context, _ bandeira.Authorization) (bandeira.Result, error) {
	<-ctx.Done()
	return bandeira.Result{}, ctx.Err()
})

func failing(err error) bandeira.Authorizer {
	return bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
		return bandeira.Result{}, err
	})
}

func answering(res bandeira.Result) bandeira.Authorizer {
	return bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
		return res, nil
	})
}

// newTestRouter routes 40000101 to "bb" and 52600101 to "nubank" with the given issuers,
// metrics on a fresh registry and logs to the test.
func newTestRouter(t *testing.T, cfg Config, bb, nubank bandeira.Authorizer) (*Router, *Metrics) {
	t.Helper()
	m := NewMetrics(prometheus.NewRegistry())
	routes := []Route{{Prefix: "40000101", Issuer: "bb"}, {Prefix: "400001", Issuer: "nubank"}}
	issuers := map[string]bandeira.Authorizer{"bb": bb, "nubank": nubank}
	r, err := NewRouter(bandeira.Visa, cfg, routes, issuers, zerolog.New(zerolog.NewTestWriter(t)), m)
	require.NoError(t, err)
	return r, m
}

func purchase(pan bandeira.PAN) bandeira.Authorization {
	return bandeira.Authorization{MTI: bandeira.MTI("0100"), PAN: pan, ProcessingCode: "000000", Amount: 1000, STAN: "000001"}
}

func TestAuthorizeRoutes(t *testing.T) {
	t.Run("forwards to the issuer of the longest prefix and names brand and issuer", func(t *testing.T) {
		var got bandeira.Authorization
		var hadDeadline bool
		bb := bandeira.AuthorizerFunc(func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			got = a
			_, hadDeadline = ctx.Deadline()
			return bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Product: bandeira.Credit}, nil
		})
		r, m := newTestRouter(t, DefaultConfig(), bb, approver)
		req := purchase("4000010100000001")
		res, err := r.Authorize(context.Background(), req)
		require.NoError(t, err)
		require.Equal(t, bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Product: bandeira.Credit,
			Brand: bandeira.Visa, Issuer: "bb"}, res)
		require.Equal(t, req, got)
		require.True(t, hadDeadline, "the issuer's context carries the issuer timeout")
		require.Equal(t, 1.0, value(t, m.Routed.WithLabelValues("visa", "bb")))
		require.Equal(t, 0.0, value(t, m.Routed.WithLabelValues("visa", "nubank")))
	})
	t.Run("keeps the brand and issuer the issuer set", func(t *testing.T) {
		r, _ := newTestRouter(t, DefaultConfig(), approver,
			answering(bandeira.Result{Code: bandeira.InsufficientFunds, Brand: "other", Issuer: "nu-processor"}))
		res, err := r.Authorize(context.Background(), purchase("4000019900000001"))
		require.NoError(t, err)
		require.Equal(t, bandeira.Result{Code: bandeira.InsufficientFunds, Brand: "other", Issuer: "nu-processor"}, res)
	})
	t.Run("relays a decline as a value", func(t *testing.T) {
		r, _ := newTestRouter(t, DefaultConfig(), answering(bandeira.Result{Code: bandeira.ExpiredCard}), approver)
		res, err := r.Authorize(context.Background(), purchase("4000010100000001"))
		require.NoError(t, err)
		require.Equal(t, bandeira.ExpiredCard, res.Code)
	})
	t.Run("declines with 15 when no route matches", func(t *testing.T) {
		r, m := newTestRouter(t, DefaultConfig(), blocker, blocker)
		res, err := r.Authorize(context.Background(), purchase("4111111111111111"))
		require.NoError(t, err)
		require.Equal(t, bandeira.Result{Code: bandeira.NoSuchIssuer, Brand: bandeira.Visa}, res)
		require.Equal(t, 1.0, value(t, m.Unrouted.WithLabelValues("visa")))
		require.Equal(t, 0.0, value(t, m.Routed.WithLabelValues("visa", "bb")))
		require.Equal(t, 0.0, value(t, m.IssuerDuration.WithLabelValues("visa", "bb")))
	})
}

func TestAuthorizeIssuerFailures(t *testing.T) {
	short := Config{IssuerTimeout: 20 * time.Millisecond}
	tests := []struct {
		name   string
		issuer bandeira.Authorizer
		reason string
		cause  error // also in the chain besides ErrIssuerUnavailable
	}{
		{"returns ErrIssuerUnavailable when the issuer times out", blocker, ReasonTimeout, context.DeadlineExceeded},
		{"passes on the issuer's own ErrIssuerUnavailable", failing(bandeira.ErrIssuerUnavailable), ReasonUnavailable, nil},
		{"counts an overloaded issuer as unavailable", failing(bandeira.ErrOverloaded), ReasonUnavailable, bandeira.ErrOverloaded},
		{"wraps any other issuer error", failing(errors.New("disk on fire")), ReasonError, nil},
		{"treats a result without a response code as no decision", answering(bandeira.Result{}), ReasonError, errNoCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, m := newTestRouter(t, short, tt.issuer, approver)
			res, err := r.Authorize(context.Background(), purchase("4000010100000001"))
			require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
			if tt.cause != nil {
				require.ErrorIs(t, err, tt.cause)
			}
			require.ErrorContains(t, err, "authorizing at issuer bb")
			require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
			require.Equal(t, bandeira.Result{}, res)
			for _, reason := range []string{ReasonTimeout, ReasonUnavailable, ReasonError} {
				want := 0.0
				if reason == tt.reason {
					want = 1
				}
				require.Equal(t, want, value(t, m.IssuerErrors.WithLabelValues("visa", "bb", reason)), reason)
			}
			require.Equal(t, 1.0, value(t, m.Routed.WithLabelValues("visa", "bb")))
		})
	}
	t.Run("gives up when the caller's context ends first", func(t *testing.T) {
		r, m := newTestRouter(t, DefaultConfig(), blocker, approver)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := r.Authorize(ctx, purchase("4000010100000001"))
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 1.0, value(t, m.IssuerErrors.WithLabelValues("visa", "bb", ReasonError)))
	})
}

func TestMetricsCountExactly(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	routes := []Route{{Prefix: "40000101", Issuer: "bb"}, {Prefix: "40000102", Issuer: "down"}}
	issuers := map[string]bandeira.Authorizer{"bb": approver, "down": failing(bandeira.ErrIssuerUnavailable)}
	visa, err := NewRouter(bandeira.Visa, DefaultConfig(), routes, issuers, zerolog.Nop(), m)
	require.NoError(t, err)
	mc, err := NewRouter(bandeira.Mastercard, DefaultConfig(), []Route{{Prefix: "52600101", Issuer: "bb"}}, issuers, zerolog.Nop(), m)
	require.NoError(t, err)

	ctx := context.Background()
	for range 3 {
		_, _ = visa.Authorize(ctx, purchase("4000010100000001"))
	}
	for range 2 {
		_, _ = visa.Authorize(ctx, purchase("4000010200000001"))
	}
	_, _ = visa.Authorize(ctx, purchase("4999999900000001"))
	_, _ = mc.Authorize(ctx, purchase("5260010100000001"))
	_, _ = mc.Authorize(ctx, purchase("5999999900000001"))
	_, _ = mc.Authorize(ctx, purchase("5999999900000002"))

	require.Equal(t, 3.0, value(t, m.Routed.WithLabelValues("visa", "bb")))
	require.Equal(t, 2.0, value(t, m.Routed.WithLabelValues("visa", "down")))
	require.Equal(t, 1.0, value(t, m.Routed.WithLabelValues("mastercard", "bb")))
	require.Equal(t, 1.0, value(t, m.Unrouted.WithLabelValues("visa")))
	require.Equal(t, 2.0, value(t, m.Unrouted.WithLabelValues("mastercard")))
	require.Equal(t, 2.0, value(t, m.IssuerErrors.WithLabelValues("visa", "down", ReasonUnavailable)))
	require.Equal(t, 0.0, value(t, m.IssuerErrors.WithLabelValues("visa", "bb", ReasonUnavailable)))

	counts := map[string]uint64{}
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "bandeira_network_issuer_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			key := ""
			for _, l := range s.GetLabel() {
				key += l.GetValue() + "/"
			}
			counts[key] = s.GetHistogram().GetSampleCount()
		}
	}
	require.Equal(t, map[string]uint64{"visa/bb/": 3, "visa/down/": 2, "mastercard/bb/": 1}, counts)
}

func BenchmarkAuthorize(b *testing.B) {
	r := mustRouter(b, []Route{{Prefix: "40000101", Issuer: "bancodobrasil"}, {Prefix: "40000102", Issuer: "bancodobrasil"}, {Prefix: "474801", Issuer: "sicredi"}, {Prefix: "4748010", Issuer: "sicredi"}}, issuersNamed("bancodobrasil", "sicredi"), NewMetrics(prometheus.NewRegistry()))
	req := purchase("4748010200000001")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Authorize(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLogsNoPAN(t *testing.T) {
	var buf bytes.Buffer
	routes := []Route{{Prefix: "40000101", Issuer: "bb"}}
	issuers := map[string]bandeira.Authorizer{"bb": failing(errors.New("boom"))}
	r, err := NewRouter(bandeira.Visa, DefaultConfig(), routes, issuers, zerolog.New(&buf).Level(zerolog.DebugLevel), nil)
	require.NoError(t, err)
	_, _ = r.Authorize(context.Background(), purchase("4000010100001234"))
	_, _ = r.Authorize(context.Background(), purchase("4999999900005678"))
	out := buf.String()
	t.Run("logs the unrouted and failed requests with component and brand", func(t *testing.T) {
		require.Contains(t, out, `"component":"network"`)
		require.Contains(t, out, `"brand":"visa"`)
		require.Contains(t, out, `"reason":"error"`)
		require.Contains(t, out, `"pan":"499999******5678"`)
	})
	t.Run("never logs a full PAN", func(t *testing.T) {
		require.NotContains(t, out, "4000010100001234")
		require.NotContains(t, out, "4999999900005678")
	})
}
