package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/bandeira/bandeira/configs"
)

const nodeHelp = `
Usage: bandeira node --role ROLE [--config FILE] [--data-dir DIR] [--listen ADDR]
                     [--http-addr ADDR] [--dial ROLE=ADDR]... [--peer-http ROLE=ADDR]...
                     [--admin-token-file FILE] [--fault-seed N] [--addr-file FILE]
                     [--log-format json|console] [--log-level LEVEL] [--check-config]

Runs one party of the network as its own process, linked to the others over ISO 8583:
a deployment across hosts, or one node of 'bandeira run --processes'. ROLE is one of

  gateway              the acquirer host: ISO 8583 front door, pricing, journal
  network:BRAND        a card network routing by BIN, with its token service, e.g. network:visa
  issuer:BANK          an issuer bank with its books, e.g. issuer:nubank
  wallet               the wallet: its page and JSON API, a client of the gateway

for the brands and banks the configuration names. Addresses come from the config's
nodes section (the gateway's from listen.gateway and listen.http, the wallet's from
listen.wallet); the flags override them. The node dials every role it calls (the
gateway each network, a network the issuers of its brand, the wallet the gateway's
front door), signs on, and reconnects by itself when a link drops; while a link is
down, requests that need it are answered 91. The wallet has no ISO 8583 port: its one
HTTP address (--http-addr) serves its page, its API, /metrics, /healthz and /readyz.

The HTTP port serves the admin API (/admin/faults, docs/faults.md) with the bearer token
of --admin-token-file (default admin.token_file, else DIR/admin-token, made on first
use). A node applies the faults of its own party and of its links to its callees; the
gateway's port takes every target and forwards each to its node, found at
nodes.<role>.http or --peer-http.

Data lives under DIR exactly as with 'bandeira run': DIR/issuers/BANK.db for an issuer,
DIR/acquirer/journal.db for the gateway, DIR/networks/BRAND-tokens.db for a network's
token vault, DIR/wallet/ for the wallet, so 'bandeira audit', 'settlement' and
'clearing' work on it. A node refuses to start on data another process is serving.
SIGINT or SIGTERM drains in-flight requests, signs off, commits and exits.

Examples:
  bandeira node --role issuer:nubank
  bandeira node --role network:mastercard --dial issuer:nubank=10.0.0.7:8587
  bandeira node --role gateway --data-dir /var/lib/bandeira --listen 0.0.0.0:8583
  bandeira node --role wallet --dial gateway=10.0.0.5:8583 --http-addr 127.0.0.1:8580
`

// roleFlags are the node flags that place a role on the wire.
type roleFlags struct {
	listen, httpAddr string
	dials            dialFlag
	peers            peerFlag
}

// peerFlag collects --peer-http ROLE=ADDR flags: where the other nodes serve HTTP, for
// the gateway's admin API to forward to.
type peerFlag map[configs.Role]string

func (p peerFlag) String() string { return "" }

func (p peerFlag) Set(v string) error {
	role, addr, ok := strings.Cut(v, "=")
	if kind := configs.Role(role).Kind(); !ok || kind == "" || kind == configs.KindGateway {
		return fmt.Errorf("%q: want ROLE=HOST:PORT of another node, e.g. issuer:nubank=127.0.0.1:9587", v)
	}
	if err := configs.CheckAddr(addr); err != nil {
		return err
	}
	p[configs.Role(role)] = addr
	return nil
}

// dialFlag collects --dial ROLE=ADDR flags.
type dialFlag map[configs.Role]string

func (d dialFlag) String() string { return "" }

func (d dialFlag) Set(v string) error {
	role, addr, ok := strings.Cut(v, "=")
	if !ok || configs.Role(role).Kind() == "" {
		return fmt.Errorf("%q: want ROLE=HOST:PORT, e.g. issuer:nubank=127.0.0.1:8587", v)
	}
	if err := configs.CheckAddr(addr); err != nil {
		return err
	}
	d[configs.Role(role)] = addr
	return nil
}

// apply writes the flags into cfg's place for role. A node moved by --listen is dialed at
// its new address by the other roles too, so the configuration stays consistent.
func (f roleFlags) apply(cfg *configs.Config, role configs.Role) {
	switch role {
	case configs.RoleGateway:
		override(&cfg.Listen.Gateway, f.listen)
		override(&cfg.Listen.HTTP, f.httpAddr)
	case configs.RoleWallet:
		override(&cfg.Listen.Wallet, f.httpAddr)
	}
	n := cfg.Nodes[role]
	if role != configs.RoleGateway && role != configs.RoleWallet {
		if f.listen != "" && f.listen != n.Listen {
			redial(cfg, role, f.listen)
		}
		override(&n.Listen, f.listen)
		override(&n.HTTP, f.httpAddr)
	}
	if len(f.dials) > 0 {
		dial := maps.Clone(n.Dial)
		if dial == nil {
			dial = make(map[configs.Role]string, len(f.dials))
		}
		maps.Copy(dial, f.dials)
		n.Dial = dial
	}
	if cfg.Nodes == nil {
		cfg.Nodes = configs.Nodes{}
	}
	cfg.Nodes[role] = n
	for peer, addr := range f.peers {
		if peer != role {
			pn := cfg.Nodes[peer]
			pn.HTTP = addr
			cfg.Nodes[peer] = pn
		}
	}
}

// redial points every other role's dial of role at addr.
func redial(cfg *configs.Config, role configs.Role, addr string) {
	for r, n := range cfg.Nodes {
		if _, ok := n.Dial[role]; !ok || r == role {
			continue
		}
		dial := maps.Clone(n.Dial)
		dial[role] = addr
		n.Dial = dial
		cfg.Nodes[r] = n
	}
}

func nodeCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("node", nodeHelp, s)
	role := fs.String("role", "", "the `role` to run: gateway, network:BRAND, issuer:BANK or wallet")
	var rf roleFlags
	rf.dials, rf.peers = dialFlag{}, peerFlag{}
	fs.StringVar(&rf.listen, "listen", "", "ISO 8583 listen `address` (default from the config's nodes section)")
	fs.StringVar(&rf.httpAddr, "http-addr", "", "HTTP listen `address` for /metrics /healthz /readyz")
	fs.Var(rf.dials, "dial", "`ROLE=ADDR` a callee's address, overriding nodes.<role>.dial (repeatable)")
	fs.Var(rf.peers, "peer-http", "`ROLE=ADDR` another node's HTTP address, overriding nodes.<role>.http, where "+
		"the gateway's admin API forwards that node's faults (repeatable)")
	common := addServeFlags(fs)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	r := configs.Role(*role)
	if r.Kind() == "" {
		fmt.Fprintf(s.err, "bandeira node: --role %q: want gateway, network:BRAND, issuer:BANK or wallet\n", *role)
		return exitUsage
	}
	if r == configs.RoleWallet && rf.listen != "" {
		fmt.Fprintln(s.err, "bandeira node: --listen: the wallet has no ISO 8583 port; its address is --http-addr")
		return exitUsage
	}
	cfg, code := common.load("node", s, func(cfg *configs.Config) { rf.apply(cfg, r) })
	if code >= 0 {
		return code
	}
	if !slices.Contains(cfg.Roles(), r) {
		fmt.Fprintf(s.err, "bandeira node: --role %s: the configuration has no such role (roles: %s)\n", r,
			configs.RoleList(cfg.Roles()))
		return exitUsage
	}
	log, err := newLogger(s.err, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira node: %v\n", err)
		return exitUsage
	}
	m := NewMain(cfg, log.With().Str("role", string(r)).Logger())
	m.Roles = []configs.Role{r}
	m.Reset = *common.reset
	if code := adminToken("node", m, s); code >= 0 {
		return code
	}
	return serveMain(ctx, "node", m, *common, s)
}

// serveMain runs m until ctx ends or a server fails, writing the address file once it
// serves (and a CPU profile when asked), and returns the exit code.
func serveMain(ctx context.Context, cmd string, m *Main, f serveFlags, s stdio) int {
	addrFile := *f.addrFile
	if p := *f.cpuProfile; p != "" {
		stop, err := startCPUProfile(p)
		if err != nil {
			fmt.Fprintf(s.err, "bandeira %s: %v\n", cmd, err)
			return exitFail
		}
		defer stop()
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(s.err, "bandeira %s: %v\n", cmd, err)
		return exitFail
	}
	if addrFile != "" {
		body := m.GatewayAddr() + "\n" + m.HTTPAddr() + "\n"
		if m.wallet != nil { // beside the gateway: a line like the nodes' of --processes
			body += fmt.Sprintf("%s %d - %s\n", configs.RoleWallet, os.Getpid(), m.WalletAddr())
		}
		if err := writeAddrFile(addrFile, body); err != nil {
			_ = m.Close()
			fmt.Fprintf(s.err, "bandeira %s: %v\n", cmd, err)
			return exitFail
		}
	}
	err := m.Wait(ctx)
	if err = errors.Join(err, m.Close()); err != nil {
		m.Log.Error().Err(err).Msg("stopped with an error")
		return exitFail
	}
	return exitOK
}

// startCPUProfile starts a CPU profile into path and returns what stops and writes it.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("writing the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("writing the CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
