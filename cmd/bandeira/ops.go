package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bandeira/bandeira/acquirer"
)

// settleFunc computes merchant payouts from the acquirer's journal.
type settleFunc func(ctx context.Context, f acquirer.SettlementFilter) ([]acquirer.Payout, error)

// opsHandler serves the operations endpoints on the HTTP port:
//
//	/metrics                Prometheus exposition of every party's metrics plus Go and process collectors
//	/healthz                200 while the process is alive
//	/readyz                 200 while the gateway accepts traffic, 503 before start and while draining
//	/acquirer/settlements   the merchant payouts from the journal as JSON (?merchant=M&from=D&to=D)
func opsHandler(gatherer prometheus.Gatherer, ready *atomic.Bool, settle settleFunc) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if settle != nil {
		mux.HandleFunc("GET /acquirer/settlements", settlementsHandler(settle))
	}
	return mux
}

// settlementsHandler answers GET /acquirer/settlements?merchant=M&from=YYYY-MM-DD&to=YYYY-MM-DD
// with {"payouts": [...]} (the JSON of `bandeira settlement --format json`); a bad date is
// 400 with {"error": ...}.
func settlementsHandler(settle settleFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f, err := settlementFilter(q.Get("merchant"), q.Get("from"), q.Get("to"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		payouts, err := settle(r.Context(), f)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "reading the journal failed"})
			return
		}
		writeJSON(w, http.StatusOK, settlementReport{Payouts: nonNil(payouts)})
	}
}

// settlementFilter parses the merchant and optional from/to dates of a settlement query.
func settlementFilter(merchant, from, to string) (acquirer.SettlementFilter, error) {
	f := acquirer.SettlementFilter{MerchantID: merchant}
	var err error
	if from != "" {
		if f.From, err = acquirer.ParseDate(from); err != nil {
			return f, fmt.Errorf("from: %w", err)
		}
	}
	if to != "" {
		if f.To, err = acquirer.ParseDate(to); err != nil {
			return f, fmt.Errorf("to: %w", err)
		}
	}
	return f, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// newHTTPServer returns the ops server with timeouts on every phase (gosec G112).
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}
