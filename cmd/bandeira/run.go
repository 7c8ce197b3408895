package main

import (
	"context"
	"fmt"
	"os"

	"github.com/bandeira/bandeira/configs"
)

const runHelp = `
Usage: bandeira run [--processes] [--config FILE] [--gateway-addr ADDR] [--http-addr ADDR]
                    [--wallet-addr ADDR] [--data-dir DIR] [--reset] [--addr-file FILE]
                    [--admin-token-file FILE] [--fault-seed N] [--log-format json|console]
                    [--log-level LEVEL] [--check-config]

Runs the whole simulated card network: the acquirer's ISO 8583 gateway, the Visa and
Mastercard networks with their token services, the issuers Banco do Brasil, Nubank and
Sicredi, the acquirer's MDR pricing, and the wallet. With no flags it uses the embedded
configs/bandeira.yaml.

  ISO 8583 gateway   127.0.0.1:8583  (2-byte big-endian length header; docs/spec.md)
  HTTP               127.0.0.1:9583  /metrics /healthz /readyz /acquirer/settlements
                                     /admin/faults (bearer token)
  wallet             127.0.0.1:8580  the wallet's page at / and its JSON API under /v1
                                     (docs/wallet.md); it reaches the gateway only over
                                     ISO 8583, at its front door

By default every party runs in this process, linked by Go calls. With --processes each
party runs as its own OS process ('bandeira node --role ROLE'), linked over ISO 8583 on
the loopback ports of the config's nodes section (docs/architecture.md): the same
network, decisions and data, one process per role. It prints each node's role, PID and
addresses; when a node dies it logs that and the command that starts it again, and keeps
the others running; it restarts nothing by itself. One Ctrl-C stops them all, gateway
first.

Each issuer keeps durable books in DIR/issuers/<issuer>.db and the acquirer journals every
approved sale in DIR/acquirer/journal.db (SQLite, WAL, fsync per group commit;
docs/ledger.md, docs/economics.md), in both modes; the networks keep their token vaults
in DIR/networks/ and the wallet its users, cards (tokens) and payments in DIR/wallet/.
Restarting on the same directory continues from them: balances, holds, idempotency keys,
the sales to settle. --reset deletes them first. 'bandeira audit' checks the books. A second run on data another
process serves refuses to start.

Faults (latency, drops, a party or link down, a forced response code) are injected live
through the admin API, with 'bandeira fault', or from the start with the config's faults
section (docs/faults.md). The API takes the bearer token in --admin-token-file (default
admin.token_file, else DIR/admin-token, made with a fresh random token on first run and
reused after); with --processes every node takes the same token.

SIGINT or SIGTERM drains in-flight requests, commits the books and exits.

Examples:
  bandeira run
  bandeira run --processes
  bandeira run --log-format console --log-level debug
  bandeira run --gateway-addr 127.0.0.1:0 --http-addr 127.0.0.1:0   # any free ports
  bandeira run --config my.yaml --check-config                       # validate and exit
  bandeira run --data-dir /tmp/bd --reset                            # start the books over
`

// serveFlags are the flags every serving command (run, node) shares.
type serveFlags struct {
	fs                                                             *flagSet
	configPath, dataDir, addrFile, logFormat, logLevel, cpuProfile *string
	adminTokenFile                                                 *string
	faultSeed                                                      *uint64
	reset, checkOnly                                               *bool
}

func addServeFlags(fs *flagSet) *serveFlags {
	return &serveFlags{
		fs: fs,
		adminTokenFile: fs.String("admin-token-file", "", "`file` holding the admin API's bearer token "+
			"(default admin.token_file, else DIR/admin-token, made on first run)"),
		faultSeed:  fs.Uint64("fault-seed", 0, "`seed` of the fault injector's drop and jitter draws (default admin.fault_seed: 1)"),
		configPath: fs.String("config", "", "YAML `file` decoded over the embedded defaults (unknown keys are errors)"),
		dataDir:    fs.String("data-dir", "", "`directory` for durable state: issuers/ and acquirer/ (default ./bandeira-data)"),
		reset:      fs.Bool("reset", false, "delete the issuers' books and the acquirer's journal in the data directory before starting"),
		addrFile:   fs.String("addr-file", "", "once serving, write the ISO 8583 and the HTTP listener's addresses, one a line, to `file`"),
		logFormat:  fs.String("log-format", "", "log `format`: json or console (default json)"),
		logLevel:   fs.String("log-level", "", "log `level`: trace, debug, info, warn, error (default info)"),
		checkOnly:  fs.Bool("check-config", false, "validate the configuration, print a summary and exit"),
		cpuProfile: fs.String("cpu-profile", "", "write a Go CPU profile of the run to `file` (with --processes, one per node: file.ROLE)"),
	}
}

// load reads and validates the configuration with the flags applied (edit applies the
// command's own) and prints the summary for --check-config. It returns the configuration
// and -1, or an exit code when the command is done.
func (f *serveFlags) load(cmd string, s stdio, edit func(*configs.Config)) (configs.Config, int) {
	cfg, err := configs.Load(*f.configPath)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira %s: %v\n", cmd, err)
		return cfg, exitUsage
	}
	override(&cfg.DataDir, *f.dataDir)
	override(&cfg.Log.Format, *f.logFormat)
	override(&cfg.Log.Level, *f.logLevel)
	override(&cfg.Admin.TokenFile, *f.adminTokenFile)
	if f.fs.Changed("fault-seed") {
		cfg.Admin.FaultSeed = *f.faultSeed
	}
	edit(&cfg)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(s.err, "bandeira %s: %v\n", cmd, err)
		return cfg, exitUsage
	}
	if *f.checkOnly {
		printConfigSummary(s.out, *f.configPath, cfg)
		return cfg, exitOK
	}
	return cfg, -1
}

func runCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("run", runHelp, s)
	processes := fs.Bool("processes", false, "run each party as its own OS process, linked over ISO 8583 (bandeira node)")
	gatewayAddr := fs.String("gateway-addr", "", "ISO 8583 listen `address` (default from config: 127.0.0.1:8583)")
	httpAddr := fs.String("http-addr", "", "HTTP listen `address` for /metrics /healthz /readyz (default 127.0.0.1:9583)")
	walletAddr := fs.String("wallet-addr", "", "the wallet's page and API listen `address` (default 127.0.0.1:8580)")
	common := addServeFlags(fs)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	cfg, code := common.load("run", s, func(cfg *configs.Config) {
		override(&cfg.Listen.Gateway, *gatewayAddr)
		override(&cfg.Listen.HTTP, *httpAddr)
		override(&cfg.Listen.Wallet, *walletAddr)
	})
	if code >= 0 {
		return code
	}
	log, err := newLogger(s.err, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitUsage
	}
	if *processes {
		return runProcesses(ctx, cfg, log, common, s)
	}
	m := NewMain(cfg, log)
	m.Reset = *common.reset
	if code := adminToken("run", m, s); code >= 0 {
		return code
	}
	return serveMain(ctx, "run", m, *common, s)
}

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// writeAddrFile writes body to path atomically (a temporary file renamed into place), so
// a reader never sees half a file.
func writeAddrFile(path, body string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return fmt.Errorf("writing the address file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing the address file: %w", err)
	}
	return nil
}
