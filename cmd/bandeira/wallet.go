package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/wallet"
)

// walletNode is the wallet as a Main hosts it: the service, and its HTTP server when it
// has a listener of its own (with `bandeira run`, beside the gateway's ports).
type walletNode struct {
	w    *wallet.Wallet
	link io.Closer // its link to the gateway's front door
	ln   net.Listener
	srv  *http.Server
}

// buildWallet opens the wallet under <data-dir>/wallet, linked over ISO 8583 to the
// gateway's front door at gatewayAddr, with the token requestor's key the networks hold
// and the acquirer's published plans to quote merchant fees.
func (m *Main) buildWallet(ctx context.Context, gatewayAddr string) (*walletNode, error) {
	ctx = context.WithoutCancel(ctx) // a signal during start-up stops the process once it serves, not mid-open
	cfg := m.Config
	gw, err := m.link(configs.RoleWallet, configs.RoleGateway, dialable(gatewayAddr))
	if err != nil {
		return nil, err
	}
	req, ok := cfg.Network.Tokens.Requestor(cfg.Wallet.RequestorID)
	if !ok {
		return nil, fmt.Errorf("building the wallet: no token requestor %s", cfg.Wallet.RequestorID)
	}
	key, err := seal.LoadOrCreateKey(req.KeyPath(cfg.DataDir))
	if err != nil {
		return nil, fmt.Errorf("building the wallet: %w", err)
	}
	prices, err := acquirer.New(cfg.Acquirer, zerolog.Nop(), nil) // the published plans, not the gateway's books
	if err != nil {
		return nil, fmt.Errorf("building the wallet: %w", err)
	}
	var merchants []wallet.Merchant
	for _, mc := range cfg.Acquirer.Merchants {
		merchants = append(merchants, wallet.Merchant{ID: mc.ID, Name: mc.Name, MCC: mc.MCC, City: mc.City})
	}
	w, err := wallet.Open(ctx, cfg.Wallet, gw, wallet.Options{
		Dir: walletDir(cfg.DataDir), TokenKeyFile: walletTokenKeyPath(cfg.DataDir), Synchronous: cfg.Issuers.Ledger.Synchronous, AcquirerID: cfg.Gateway.AcquirerID,
		RequestorKey: key, Merchants: merchants, Pricer: prices, Log: m.Log,
		Metrics: wallet.NewMetrics(m.Registry), SAFMetrics: m.safMetrics(),
	})
	if err != nil {
		return nil, err
	}
	m.onClose(w.Close)
	link, _ := gw.(io.Closer)
	return &walletNode{w: w, link: link}, nil
}

// serveWallet serves the wallet's page and API on listen.wallet, beside the gateway's
// ports.
func (m *Main) serveWallet(ctx context.Context, wn *walletNode) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", m.Config.Listen.Wallet)
	if err != nil {
		return fmt.Errorf("listening for the wallet: %w", err)
	}
	if ln, err = walletTLS(m.Config, ln); err != nil {
		return err
	}
	wn.ln, wn.srv = ln, newWalletServer(wn.w.Handler(), m.Config, m)
	m.wallet = wn
	go func() { m.errc <- wn.srv.Serve(ln) }()
	m.Log.Info().Str("wallet", ln.Addr().String()).Msg("the wallet is serving its page and API")
	return nil
}

// walletTLS wraps ln in TLS when nodes.wallet.tls has a certificate.
func walletTLS(cfg configs.Config, ln net.Listener) (net.Listener, error) {
	t, err := cfg.Nodes[configs.RoleWallet].TLS.ServerConfig()
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("loading the wallet's TLS: %w", err)
	}
	if t == nil {
		return ln, nil
	}
	return tls.NewListener(ln, t), nil
}

// newWalletServer is the wallet's HTTP server: a write timer long enough for a transfer
// (two legs and their reversals, each within wallet.request_timeout).
func newWalletServer(h http.Handler, cfg configs.Config, m *Main) *http.Server {
	s := newHTTPServer(h, m.Log)
	s.WriteTimeout = 4*cfg.Wallet.RequestTimeout + 10*time.Second
	return s
}

// walletHandler is the wallet node's one HTTP port: the operations endpoints and the
// wallet's page and API.
func walletHandler(ops, w http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"GET /metrics", "GET /healthz", "GET /readyz"} {
		mux.Handle(p, ops)
	}
	mux.Handle("/", w)
	return mux
}

// shutdownWallet stops the wallet beside the gateway first: its HTTP server, letting its
// requests finish while the gateway still answers them, then the wallet and its link,
// which signs off before the front door closes. (Both are closed again, harmlessly, with
// the other parties.)
func (m *Main) shutdownWallet(ctx context.Context) error {
	if m.wallet == nil || m.wallet.srv == nil {
		return nil
	}
	err := errors.Join(m.wallet.srv.Shutdown(ctx), m.wallet.w.Close())
	if m.wallet.link != nil {
		err = errors.Join(err, m.wallet.link.Close())
	}
	return err
}

// WalletAddr returns the wallet's HTTP address, "" when this process hosts no wallet.
func (m *Main) WalletAddr() string {
	switch {
	case m.wallet != nil && m.wallet.ln != nil:
		return m.wallet.ln.Addr().String()
	case m.served == configs.RoleWallet && m.httpLn != nil:
		return m.httpLn.Addr().String()
	}
	return ""
}

// walletDir is where the wallet keeps its data.
func walletDir(dataDir string) string { return filepath.Join(dataDir, "wallet") }

// walletTokenKeyPath is the key that seals the wallet's token numbers at rest, beside the
// data directory's other sealing keys (it stays on --reset, as they do).
func walletTokenKeyPath(dataDir string) string {
	return filepath.Join(dataDir, "keys", "wallet-tokens.key")
}

// dialable turns a listen address into one to dial: a server on every interface is
// dialed on loopback.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// printWalletSummary adds the wallet's lines to --check-config's summary: its address,
// the merchants it shows (those of the acquirer with a catalog) and the token ranges.
func printWalletSummary(w io.Writer, cfg configs.Config) {
	var shown []string
	for _, m := range cfg.Acquirer.Merchants {
		if _, ok := cfg.Wallet.Catalogs[m.ID]; ok {
			shown = append(shown, m.ID)
		}
	}
	fmt.Fprintf(w, "wallet\t%s, requestor %s, catalogs of %s\n", cfg.Listen.Wallet, cfg.Wallet.RequestorID, strings.Join(shown, ", "))
	for _, brand := range cfg.Brands() {
		if r, ok := cfg.Network.Tokens.Ranges[brand]; ok {
			fmt.Fprintf(w, "tokens %s\t%s–%s\n", brand, r.From, r.To)
		}
	}
}
