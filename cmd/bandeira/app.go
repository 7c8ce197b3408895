package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/gateway"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/network"
)

// Main is the whole network in one process: it wires gateway → network → issuers in
// process, serves ISO 8583 and HTTP, and shuts everything down. End-to-end tests run it
// unchanged on 127.0.0.1:0 ports.
type Main struct {
	Config   configs.Config
	Log      zerolog.Logger
	Registry *prometheus.Registry

	gatewayLn, httpLn net.Listener
	iso               *iso.Server
	http              *http.Server
	ready             atomic.Bool
	errc              chan error
	books             []*books.Books
	acquirer          *acquirer.Acquirer
	journal           *acquirer.Journal
	closeOnce         sync.Once
	closeErr          error

	// inMemory (benchmarks only) keeps each bank's accounts in a ledger.Memory and keeps
	// no acquirer journal: the network as it was before durable storage, the baseline
	// BenchmarkFullStackRoundTrip compares the durable one with.
	inMemory bool
}

// NewMain returns a Main for cfg, which must already be validated.
func NewMain(cfg configs.Config, log zerolog.Logger) *Main {
	return &Main{Config: cfg, Log: log, Registry: prometheus.NewRegistry(), errc: make(chan error, 2)}
}

// Run builds the parties, binds both listeners and starts serving. It returns once the
// gateway accepts connections; serving goes on until Close.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil { // nothing serves: release the books opened so far
			for _, bk := range m.books {
				_ = bk.Close()
			}
			if m.journal != nil {
				_ = m.journal.Close()
			}
		}
	}()
	gw, err := m.buildNetwork()
	if err != nil {
		return err
	}
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Registry.MustRegister(opsCollectors(m.Config)...)
	var lc net.ListenConfig
	if m.gatewayLn, err = lc.Listen(ctx, "tcp", m.Config.Listen.Gateway); err != nil {
		return fmt.Errorf("listening for ISO 8583: %w", err)
	}
	if m.httpLn, err = lc.Listen(ctx, "tcp", m.Config.Listen.HTTP); err != nil {
		_ = m.gatewayLn.Close()
		return fmt.Errorf("listening for HTTP: %w", err)
	}
	m.iso = iso.NewServer(m.Config.Server, gw, m.Log, iso.NewServerMetrics(m.Registry))
	m.http = newHTTPServer(opsHandler(m.Registry, &m.ready, m.settlements))
	go func() { m.errc <- m.iso.Serve(m.gatewayLn) }()
	go func() { m.errc <- m.http.Serve(m.httpLn) }()
	m.ready.Store(true)
	m.Log.Info().Str("gateway", m.GatewayAddr()).Str("http", m.HTTPAddr()).
		Int("cards_per_bin", m.Config.Issuers.CardsPerBIN).Msg("bandeira is running")
	return nil
}

// buildNetwork wires acquirer gateway → brand networks → issuers, all in process. Each
// party tags its own log lines with component=<name>.
func (m *Main) buildNetwork() (*gateway.Gateway, error) {
	reg, cfg := m.Registry, m.Config
	byName, err := m.buildIssuers()
	if err != nil {
		return nil, err
	}
	netMetrics := network.NewMetrics(reg)
	networks := make(map[bandeira.Brand]bandeira.Authorizer, 2)
	for _, brand := range []bandeira.Brand{bandeira.Visa, bandeira.Mastercard} {
		r, err := network.NewRouter(brand, cfg.Network, routesFor(cfg.Issuers, brand), byName, m.Log, netMetrics)
		if err != nil {
			return nil, fmt.Errorf("building %s network: %w", brand, err)
		}
		networks[brand] = r
	}
	acqMetrics := acquirer.NewMetrics(reg)
	acq, err := acquirer.New(cfg.Acquirer, m.Log, acqMetrics)
	if err != nil {
		return nil, fmt.Errorf("building acquirer: %w", err)
	}
	m.acquirer = acq
	if m.inMemory {
		return gateway.New(cfg.Gateway, networks, acq, m.Log, gateway.NewMetrics(reg), time.Now), nil
	}
	m.journal, err = acquirer.OpenJournal(context.Background(), acquirer.JournalPath(cfg.DataDir), acq,
		acquirer.JournalOptions{Synchronous: cfg.Issuers.Ledger.Synchronous, Log: m.Log, Metrics: acqMetrics})
	if err != nil {
		return nil, fmt.Errorf("building acquirer: %w", err)
	}
	return gateway.New(cfg.Gateway, networks, acq, m.Log, gateway.NewMetrics(reg), time.Now,
		gateway.WithJournal(m.journal)), nil
}

// settlements computes the merchant payouts from the live journal (GET /acquirer/settlements).
func (m *Main) settlements(ctx context.Context, f acquirer.SettlementFilter) ([]acquirer.Payout, error) {
	if m.journal == nil {
		return nil, errors.New("no acquirer journal in this process")
	}
	entries, err := m.journal.Entries(ctx)
	if err != nil {
		return nil, err
	}
	return acquirer.Settle(entries, m.acquirer.Calendar(), f)
}

// buildIssuers opens each bank's books under <data-dir>/issuers/<bank>.db and builds the
// bank on them. The books stay open until Close.
func (m *Main) buildIssuers() (map[string]bandeira.Authorizer, error) {
	cfg := m.Config.Issuers
	bankMetrics, bookMetrics := issuers.NewMetrics(m.Registry), books.NewMetrics(m.Registry)
	byName := make(map[string]bandeira.Authorizer, len(cfg.Banks))
	for _, bc := range cfg.Banks {
		if m.inMemory {
			b, err := issuers.NewBank(bc.Name, cfg, m.Log, bankMetrics, time.Now)
			if err != nil {
				return nil, fmt.Errorf("building issuers: %w", err)
			}
			byName[bc.Name] = b
			continue
		}
		bk, err := books.Open(context.Background(), booksPath(m.Config.DataDir, bc.Name), cfg.Ledger, books.Options{
			Issuer: bc.Name, Log: m.Log, Metrics: bookMetrics, Fingerprint: cardsFingerprint(cfg),
		})
		if err != nil {
			return nil, fmt.Errorf("building issuer %s: %w", bc.Name, err)
		}
		m.books = append(m.books, bk)
		b, err := issuers.NewBank(bc.Name, cfg, m.Log, bankMetrics, time.Now, issuers.WithLedger(bk),
			issuers.WithAuthCodeStart(uint64(bk.Requests())))
		if err != nil {
			return nil, fmt.Errorf("building issuers: %w", err)
		}
		byName[bc.Name] = b
	}
	return byName, nil
}

// booksPath is where an issuer's books live.
func booksPath(dataDir, issuer string) string {
	return filepath.Join(dataDir, "issuers", issuer+".db")
}

// cardsFingerprint names what the books' opening balances derive from, so that books
// seeded from other cards are refused (docs/ledger.md).
func cardsFingerprint(c issuers.Config) string {
	return fmt.Sprintf("seed=%d debit=%d-%d prepaid=%d-%d credit=%d-%d", c.Seed,
		c.DebitBalance.Min, c.DebitBalance.Max, c.PrepaidBalance.Min, c.PrepaidBalance.Max,
		c.CreditLimit.Min, c.CreditLimit.Max)
}

// routesFor derives one brand's BIN routing table from the issuers' BIN rows, so the
// banks' configuration is the single source of which BIN belongs to whom.
func routesFor(cfg issuers.Config, brand bandeira.Brand) []network.Route {
	var routes []network.Route
	for _, b := range cfg.Banks {
		for _, row := range b.BINs {
			if row.Brand == brand {
				routes = append(routes, network.Route{Prefix: row.BIN, Issuer: b.Name})
			}
		}
	}
	return routes
}

// GatewayAddr returns the ISO 8583 listener's address, e.g. "127.0.0.1:8583".
func (m *Main) GatewayAddr() string { return m.gatewayLn.Addr().String() }

// HTTPAddr returns the HTTP listener's address.
func (m *Main) HTTPAddr() string { return m.httpLn.Addr().String() }

// Wait blocks until ctx is done (a signal) or a server stops on its own, whose error it
// returns.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		m.Log.Info().Msg("shutting down")
		return nil
	case err := <-m.errc:
		if errors.Is(err, iso.ErrServerClosed) || errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// Close marks the process not ready, drains in-flight ISO 8583 requests (bounded by
// shutdownTimeout), stops both servers and then closes the issuers' books and the
// acquirer's journal, committing what is pending. It is idempotent.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		m.ready.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		var errs []error
		if m.iso != nil {
			errs = append(errs, m.iso.Shutdown(ctx))
		}
		if m.http != nil {
			errs = append(errs, m.http.Shutdown(ctx))
		}
		for _, bk := range m.books {
			errs = append(errs, bk.Close())
		}
		if m.journal != nil {
			errs = append(errs, m.journal.Close())
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}
