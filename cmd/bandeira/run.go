package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bandeira/bandeira/configs"
)

const runHelp = `
Usage: bandeira run [--config FILE] [--gateway-addr ADDR] [--http-addr ADDR] [--data-dir DIR]
                    [--reset] [--addr-file FILE] [--log-format json|console] [--log-level LEVEL]
                    [--check-config]

Runs the whole simulated card network in one process: the acquirer's ISO 8583 gateway,
the Visa and Mastercard networks, the issuers Banco do Brasil, Nubank and Sicredi, and the
acquirer's MDR pricing. With no flags it uses the embedded configs/bandeira.yaml.

  ISO 8583 gateway   127.0.0.1:8583  (2-byte big-endian length header; docs/spec.md)
  HTTP               127.0.0.1:9583  /metrics /healthz /readyz

Each issuer keeps durable books in DIR/issuers/<issuer>.db and the acquirer journals every
approved sale in DIR/acquirer/journal.db (SQLite, WAL, fsync per group commit;
docs/ledger.md, docs/economics.md). Restarting on the same directory continues from them:
balances, holds, idempotency keys, the sales to settle. --reset deletes both first.
'bandeira audit' checks the books.

SIGINT or SIGTERM drains in-flight requests, commits the books and exits.

Examples:
  bandeira run
  bandeira run --log-format console --log-level debug
  bandeira run --gateway-addr 127.0.0.1:0 --http-addr 127.0.0.1:0   # any free ports
  bandeira run --config my.yaml --check-config                       # validate and exit
  bandeira run --data-dir /tmp/bd --reset                            # start the books over
`

// shutdownTimeout bounds the drain of in-flight requests at exit.
const shutdownTimeout = 10 * time.Second

func runCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("run", runHelp, s)
	configPath := fs.String("config", "", "YAML `file` decoded over the embedded defaults (unknown keys are errors)")
	gatewayAddr := fs.String("gateway-addr", "", "ISO 8583 listen `address` (default from config: 127.0.0.1:8583)")
	httpAddr := fs.String("http-addr", "", "HTTP listen `address` for /metrics /healthz /readyz (default 127.0.0.1:9583)")
	dataDir := fs.String("data-dir", "", "`directory` for durable state: the issuers' books under issuers/ (default ./bandeira-data)")
	reset := fs.Bool("reset", false, "delete the issuers' books and the acquirer's journal in the data directory before starting")
	addrFile := fs.String("addr-file", "", "once serving, write the gateway's and the HTTP listener's addresses, one a line, to `file`")
	logFormat := fs.String("log-format", "", "log `format`: json or console (default json)")
	logLevel := fs.String("log-level", "", "log `level`: trace, debug, info, warn, error (default info)")
	checkOnly := fs.Bool("check-config", false, "validate the configuration, print a summary and exit")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	cfg, err := configs.Load(*configPath)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitUsage
	}
	override(&cfg.Listen.Gateway, *gatewayAddr)
	override(&cfg.Listen.HTTP, *httpAddr)
	override(&cfg.DataDir, *dataDir)
	override(&cfg.Log.Format, *logFormat)
	override(&cfg.Log.Level, *logLevel)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitUsage
	}
	if *checkOnly {
		printConfigSummary(s.out, *configPath, cfg)
		return exitOK
	}
	log, err := newLogger(s.err, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitUsage
	}
	if *reset {
		if err := resetBooks(cfg.DataDir); err != nil {
			fmt.Fprintf(s.err, "bandeira run: %v\n", err)
			return exitFail
		}
	}
	m := NewMain(cfg, log)
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitFail
	}
	if *addrFile != "" {
		if err := writeAddrFile(*addrFile, m); err != nil {
			_ = m.Close()
			fmt.Fprintf(s.err, "bandeira run: %v\n", err)
			return exitFail
		}
	}
	err = m.Wait(ctx)
	closeErr := m.Close()
	if err = errors.Join(err, closeErr); err != nil {
		log.Error().Err(err).Msg("stopped with an error")
		return exitFail
	}
	return exitOK
}

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// resetBooks deletes the issuers' books and the acquirer's journal (with their WAL and
// shared-memory files) under dataDir: the two are only consistent together, so they are
// started over together.
func resetBooks(dataDir string) error {
	for _, dir := range []string{"issuers", "acquirer"} {
		if err := os.RemoveAll(filepath.Join(dataDir, dir)); err != nil {
			return fmt.Errorf("resetting the books: %w", err)
		}
	}
	return nil
}

// writeAddrFile writes the listeners' addresses to path atomically (a temporary file
// renamed into place), so a reader never sees half a file.
func writeAddrFile(path string, m *Main) error {
	tmp := path + ".tmp"
	body := m.GatewayAddr() + "\n" + m.HTTPAddr() + "\n"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return fmt.Errorf("writing the address file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing the address file: %w", err)
	}
	return nil
}
