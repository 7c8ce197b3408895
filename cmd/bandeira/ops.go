package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	stdlog "log"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira/acquirer"
)

// settleFunc computes merchant payouts from the acquirer's journal.
type settleFunc func(ctx context.Context, f acquirer.SettlementFilter) ([]acquirer.Payout, error)

// opsHandler serves the operations endpoints on the HTTP port:
//
//	/metrics                Prometheus exposition of every party's metrics plus Go and process collectors
//	/healthz                200 while the process is alive
//	/readyz                 200 while the gateway accepts traffic, 503 before start and while draining
//	/acquirer/settlements   the merchant payouts from the journal as JSON, a page at a time
//	                        (?merchant=M&from=D&to=D&detail=true&limit=N&cursor=C)
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

// settlementsHandler answers GET /acquirer/settlements with a page of payouts (the JSON
// of `bandeira settlement --format json`): query merchant, from, to (YYYY-MM-DD), detail
// (true adds each payout's sales), limit and cursor. A page that is not the last has
// next_cursor, a next link and a Link header (rel="next"). A bad parameter is 400 with
// {"error": ...}. docs/economics.md documents the endpoint.
func settlementsHandler(settle settleFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var pq pageQuery
		err := knownParams(q, "merchant", "from", "to", "detail", "limit", "cursor")
		f, ferr := settlementFilter(q.Get("merchant"), q.Get("from"), q.Get("to"))
		err = errors.Join(err, ferr)
		if err == nil {
			pq, err = parsePageQuery(q)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		payouts, err := settle(r.Context(), f)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "reading the journal failed"})
			return
		}
		page, next := pq.page(payouts)
		rep := settlementReport{Payouts: page}
		if next != "" {
			nq := maps.Clone(q)
			nq.Set("cursor", next)
			rep.NextCursor, rep.Next = next, r.URL.Path+"?"+nq.Encode()
			w.Header().Set("Link", "<"+rep.Next+`>; rel="next"`)
		}
		writeJSON(w, http.StatusOK, rep)
	}
}

// knownParams refuses a query parameter the endpoint does not take, so a misspelt filter
// is an error rather than an unfiltered answer.
func knownParams(q url.Values, known ...string) error {
	for k := range q {
		if !slices.Contains(known, k) {
			return fmt.Errorf("unknown parameter %q (want %s)", k, strings.Join(known, ", "))
		}
	}
	return nil
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
	enc.SetEscapeHTML(false) // link targets ("a->b") read as they are written
	_ = enc.Encode(v)
}

// newHTTPServer returns the ops server with timeouts on every phase (gosec G112).
// Its own error lines (a failed TLS handshake, say) go to log at Warn.
func newHTTPServer(h http.Handler, log zerolog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ErrorLog:          stdlog.New(zerologWriter{log.With().Str("component", "http_server").Logger()}, "", 0),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

// zerologWriter writes each line of a standard library logger as one Warn line.
type zerologWriter struct{ log zerolog.Logger }

func (w zerologWriter) Write(p []byte) (int, error) {
	w.log.Warn().Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}
