// Package configs holds Bandeira's shipped YAML configuration and its loader.
//
// bandeira.yaml in this directory is the default: it is embedded in the binary, so
// `bandeira run` needs no file. A user's file is decoded over the defaults, strictly: an
// unknown key is an error naming the file, line and full key path. Each party owns its
// Config type and validation; this package only assembles them and checks what crosses
// party boundaries (timers that must nest).
package configs

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/gateway"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/network"
	"github.com/bandeira/bandeira/wallet"
)

// Default is the embedded default configuration file, configs/bandeira.yaml.
//
//go:embed bandeira.yaml
var Default []byte

// DefaultName is the name error messages use for the embedded default file.
const DefaultName = "bandeira.yaml (embedded)"

// Config is the whole simulator's configuration.
type Config struct {
	// Listen holds the addresses `bandeira run` binds.
	Listen Listen `yaml:"listen"`
	// DataDir is the directory that holds the simulator's state.
	DataDir string `yaml:"data_dir"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// Server holds the ISO 8583 TCP front door's limits and timers.
	Server iso.ServerConfig `yaml:"server"`
	// Gateway is the acquirer host's request handling.
	Gateway gateway.Config `yaml:"gateway"`
	// Network holds the Visa and Mastercard routers' settings.
	Network network.Config `yaml:"network"`
	// Issuers holds the banks, their BIN rows and the test-card generator.
	Issuers issuers.Config `yaml:"issuers"`
	// Acquirer holds merchants and MDR fee plans.
	Acquirer acquirer.Config `yaml:"acquirer"`
	// Nodes places every party on the wire when each runs as its own process: its
	// listen and HTTP addresses and the addresses it dials, by role.
	Nodes Nodes `yaml:"nodes"`
	// Links configures the client side of every ISO 8583 link between nodes: pool,
	// reconnect back-off, echo, sign-on and TLS. Send timeouts follow the timers of the
	// calling party.
	Links iso.ClientConfig `yaml:"links"`
	// Admin configures the admin API on the HTTP ports: its token and the fault seed.
	Admin Admin `yaml:"admin"`
	// Faults are injected from the start, by target (docs/faults.md).
	Faults Faults `yaml:"faults"`
	// DrainTimeout bounds how long a process stopping (SIGINT, SIGTERM) waits for the
	// requests it accepted to be answered. It must exceed every timer a request can run
	// into (server.request_timeout plus server.write_timeout), so that no accepted
	// request is dropped unanswered.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// SAF paces the store-and-forward queues (advices and reversals owed to a party).
	SAF SAF `yaml:"saf"`
	// Wallet is the wallet: its limits, PIN hashing, catalogs and P2P acceptor.
	Wallet wallet.Config `yaml:"wallet"`
}

// Listen holds listen addresses.
type Listen struct {
	Gateway string `yaml:"gateway"` // ISO 8583 over TCP, default 127.0.0.1:8583
	HTTP    string `yaml:"http"`    // metrics and health, default 127.0.0.1:9583
	// HTTPTLS, when its cert_file is set, serves the gateway's HTTP port over TLS (mutual
	// TLS with ca_file). The ISO 8583 front door's TLS is server.tls.
	HTTPTLS iso.TLSConfig `yaml:"http_tls"`
	// Wallet is the wallet's API and page (and, as its own node, its /metrics), default
	// 127.0.0.1:8580. Its TLS is nodes.wallet.tls.
	Wallet string `yaml:"wallet"`
}

// Log configures the zerolog output.
type Log struct {
	Format string `yaml:"format"` // json (default) or console
	Level  string `yaml:"level"`  // trace, debug, info (default), warn, error
}

// DefaultConfig returns the built-in defaults, before bandeira.yaml is applied.
func DefaultConfig() Config {
	return Config{
		Listen:   Listen{Gateway: "127.0.0.1:8583", HTTP: "127.0.0.1:9583", Wallet: "127.0.0.1:8580"},
		DataDir:  "bandeira-data",
		Log:      Log{Format: "json", Level: "info"},
		Server:   iso.DefaultServerConfig(),
		Gateway:  gateway.DefaultConfig(),
		Network:  network.DefaultConfig(),
		Issuers:  issuers.DefaultConfig(),
		Acquirer: acquirer.DefaultConfig(),
		Nodes:    DefaultNodes(),
		Links:    DefaultLinks(),
		Admin:    Admin{FaultSeed: 1},
		// server.request_timeout (20 s) + server.write_timeout (5 s) + a margin
		DrainTimeout: 30 * time.Second,
		SAF:          DefaultSAF(),
		Wallet:       wallet.DefaultConfig(),
	}
}

// DefaultLinks returns the link settings of the default network: iso's defaults, with
// sign-on, so that a node serves only peers that signed on, a reconnect back-off capped at
// 2 s, and no send timeout of its
// own: a link's requests are bounded by the timer of the party that calls (the gateway's
// request timeout towards a network, the network's issuer timeout towards an issuer).
func DefaultLinks() iso.ClientConfig {
	c := iso.DefaultClientConfig()
	c.SignOn = true
	c.SendTimeout = 0
	c.ReconnectMax = 2 * time.Second // a restarted node is linked again within about 2 s
	return c
}

// Validate checks every party's section and the rules that span parties. Errors name the
// section: "gateway: ...".
func (c Config) Validate() error {
	var errs []error
	add := func(section string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", section, err))
		}
	}
	add("listen", c.Listen.validate())
	add("log", c.Log.validate())
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir: must not be empty"))
	}
	add("server", c.Server.Validate())
	add("gateway", c.Gateway.Validate())
	add("network", c.Network.Validate())
	add("issuers", c.Issuers.Validate())
	add("acquirer", c.Acquirer.Validate())
	add("timers", nestedTimers(c))
	add("nodes", c.validateNodes())
	add("links", c.Links.Validate())
	add("faults", c.validateFaults())
	add("saf", c.SAF.validate())
	add("network", c.standInIssuers())
	add("wallet", c.Wallet.Validate())
	add("wallet", c.checkWallet())
	return errors.Join(errs...)
}

// standInIssuers checks that every per-issuer stand-in override names a configured bank.
func (c Config) standInIssuers() error {
	banks := make(map[string]bool, len(c.Issuers.Banks))
	for _, b := range c.Issuers.Banks {
		banks[b.Name] = true
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(c.Network.StandIn.Issuers)) {
		if !banks[name] {
			errs = append(errs, fmt.Errorf("stand_in.issuers.%s: no such bank in issuers.banks", name))
		}
	}
	return errors.Join(errs...)
}

// nestedTimers enforces that each hop's timer is shorter than the timer of the hop above
// it, so a caller gets an answer before it gives up itself, and that the drain limit at
// shutdown exceeds them all (docs/architecture.md, "Timers").
func nestedTimers(c Config) error {
	type timer struct {
		key string
		d   time.Duration
	}
	chain := []timer{
		{"network.issuer_timeout", c.Network.IssuerTimeout},
		{"gateway.request_timeout", c.Gateway.RequestTimeout},
		{"server.request_timeout", c.Server.RequestTimeout},
		{"wallet.request_timeout", c.Wallet.RequestTimeout},
	}
	for i := 1; i < len(chain); i++ {
		if chain[i-1].d >= chain[i].d {
			return fmt.Errorf("%s (%s) must be shorter than %s (%s)",
				chain[i-1].key, chain[i-1].d, chain[i].key, chain[i].d)
		}
	}
	if longest := c.Server.RequestTimeout + c.Server.WriteTimeout; c.DrainTimeout <= longest {
		return fmt.Errorf("drain_timeout (%s) must exceed server.request_timeout + server.write_timeout (%s): "+
			"a request accepted before a shutdown must be answered", c.DrainTimeout, longest)
	}
	return nil
}

func (l Listen) validate() error {
	return errors.Join(keyed("gateway", CheckAddr(l.Gateway)), keyed("http", CheckAddr(l.HTTP)),
		keyed("http_tls:", l.HTTPTLS.Validate()), keyed("wallet", CheckAddr(l.Wallet)))
}

// keyed prefixes err with key, as in "gateway address ...: ...".
func keyed(key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %w", key, err)
}

// CheckAddr reports whether addr is an address to listen on or dial: host:port with a port
// from 0 to 65535 (0 picks a free port) and a host that is empty (every interface), an IP
// or a host name. The error starts with "address".
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: want host:port, e.g. 127.0.0.1:8583", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port != strconv.Itoa(n) {
		return fmt.Errorf("address %q: port %q must be a number from 0 to 65535", addr, port)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("address %q: host %q is neither an IP address nor a host name", addr, host)
	}
	return nil
}

// validHostname reports whether h is a DNS host name: dot-separated labels of letters,
// digits and inner hyphens, at most 253 characters.
func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func (l Log) validate() error {
	switch l.Format {
	case "json", "console":
	default:
		return fmt.Errorf("format %q: want json or console", l.Format)
	}
	switch l.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("level %q: want trace, debug, info, warn or error", l.Level)
	}
	return nil
}
