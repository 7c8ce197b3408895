package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/loadtest"
)

const loadtestHelp = `
Usage: bandeira loadtest [--target ADDR] (--rate N [--duration D] | --stages D:N,... | --concurrency N [--think D])
                         [--requests N] [--connections N] [--mix KIND=W,...] [--cards FILE] [--config FILE]
                         [--timeout D] [--max-in-flight N] [--seed N] [--json FILE] [--html FILE]
                         [--threshold EXPR]... [--allow-remote] [--quiet]
       bandeira loadtest --echo-server ADDR

Drives an ISO 8583 host speaking Bandeira's dialect (docs/spec.md) and reports throughput,
latency percentiles (HdrHistogram), response codes and per-kind results. docs/loadtest.md
explains the models, the mix, the report and CI use.

Open model (--rate, --stages): requests arrive on schedule whatever the server does;
latency runs from each request's scheduled time, so a stalled server cannot hide its queue,
and a request due while its connection has --max-in-flight requests waiting is dropped.
Closed model (--concurrency): N requests in flight, each sent when the previous answer
arrives (plus --think).

Mix kinds: purchase (0200 000000), refund (0200 200000), reversal (0400 of an earlier
approved purchase, field 90), balance (0100 310000), decline (0200 on a declining scenario
card), echo (0800 301), installments (0200 000000 on a credit card with field 48 tag IP:
lojista 2-12 or emissor 2-24, drawn from --seed; not in the default mix). Cards are the
simulator's (same seed and counts, or --config), or --cards FILE in the 'bandeira cards
--json' shape.

A progress line is printed on stderr every second; the report goes to stdout, or to
stderr when --json - or --html - writes the JSON or the page to stdout. Ctrl-C ends the
run early and still prints the report. Only loopback targets unless --allow-remote.

Thresholds (--threshold METRIC<VALUE, repeatable): p50, p90, p99, p99.9, max, mean take a
duration (20ms, 500us, 1.5s); errors, dropped, timeouts, approvals and rate a share (0.1%
or 0.001); cpu the generator's µs per request (10us). docs/loadtest.md has the details.

Exit status, as k6's: 0 when the run completed and every --threshold passed, 99 when a
threshold failed, 1 when the test could not run or a report could not be written (the
target could not be reached), 2 for bad usage.

Examples:
  bandeira loadtest --rate 5000 --duration 30s
  bandeira loadtest --stages 30s:1000,60s:5000,30s:0 --html report.html
  bandeira loadtest --concurrency 64 --requests 100000 --mix purchase=90,balance=10
  bandeira loadtest --rate 1000 --duration 30s --mix purchase=70,installments=30
  bandeira loadtest --rate 2000 --duration 1m --json summary.json \
      --threshold 'p99<20ms' --threshold 'errors<0.1%' --threshold 'rate>0.99'
  bandeira loadtest --rate 500 --duration 10s --json - --quiet | jq .latency_ms
  bandeira loadtest --echo-server 127.0.0.1:18600          # the trivial responder
  bandeira loadtest --target 127.0.0.1:18600 --rate 100000 --mix purchase=1
`

// thresholdFlags collects repeated --threshold flags.
type thresholdFlags []loadtest.Threshold

func (t *thresholdFlags) String() string { return fmt.Sprint(len(*t)) }

func (t *thresholdFlags) Set(v string) error {
	th, err := loadtest.ParseThreshold(v)
	if err != nil {
		return err
	}
	*t = append(*t, th)
	return nil
}

// loadtestOptions are the flags that are not loadtest.Config fields.
type loadtestOptions struct {
	stages, cardsFile, configPath, jsonFile, htmlFile, echoAddr string
	thresholds                                                  thresholdFlags
	quiet                                                       bool
	set                                                         map[string]bool
}

func loadtestCommand(ctx context.Context, args []string, s stdio) int {
	command := "bandeira loadtest " + shellJoin(args)
	cfg, o, code, ok := parseLoadtestFlags(args, s)
	if !ok {
		return code
	}
	if o.echoAddr != "" {
		return serveEcho(ctx, o.echoAddr, s)
	}
	cards, merchant, err := loadtestCards(o)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira loadtest: %v\n", err)
		return exitUsage
	}
	cfg.Merchant = merchant
	r, err := loadtest.New(cfg, cards, zerolog.New(s.err).Level(zerolog.WarnLevel))
	if err != nil {
		fmt.Fprintf(s.err, "bandeira loadtest: %v\n", err)
		return exitUsage
	}
	if err := checkWritable(o.jsonFile, o.htmlFile); err != nil {
		fmt.Fprintf(s.err, "bandeira loadtest: %v\n", err)
		return exitUsage
	}
	sum, err := r.Run(ctx, progressPrinter(s.err, o.quiet))
	if err != nil {
		fmt.Fprintf(s.err, "bandeira loadtest: %v\n", err)
		return exitFail
	}
	sum.ToolVersion, sum.Command = readBuildInfo().String(), command
	return reportLoadtest(sum, o, s)
}

func parseLoadtestFlags(args []string, s stdio) (loadtest.Config, loadtestOptions, int, bool) {
	cfg := loadtest.DefaultConfig()
	o := loadtestOptions{set: map[string]bool{}}
	fs := newFlagSet("loadtest", loadtestHelp, s)
	fs.StringVar(&cfg.Target, "target", cfg.Target, "`address` of the ISO 8583 host")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "open model: requests per second")
	fs.StringVar(&o.stages, "stages", "", "open model: `stages` DURATION:RATE,..., each ramping from the previous rate (e.g. 30s:1000,60s:5000,30s:0)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "closed model: requests in flight")
	fs.DurationVar(&cfg.Think, "think", 0, "closed model: pause between an answer and the next request")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to send (not with --stages)")
	fs.Int64Var(&cfg.Requests, "requests", 0, "stop after scheduling this many requests (0: no limit)")
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, "TCP connections to spread the load over")
	fs.StringVar(&cfg.Mix, "mix", cfg.Mix, "request kinds and weights: purchase, refund, reversal, balance, decline, echo, installments")
	fs.StringVar(&o.cardsFile, "cards", "", "JSON `file` of cards in the 'bandeira cards --json' shape")
	fs.StringVar(&o.configPath, "config", "", "YAML `file` whose issuers (seed, cards_per_bin) and acquirer ID to use")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "how long a request waits for its answer")
	fs.IntVar(&cfg.MaxInFlight, "max-in-flight", cfg.MaxInFlight, "requests in flight per connection; more are dropped (open model)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the card, kind, amount and installment choices")
	fs.StringVar(&o.jsonFile, "json", "", "write the JSON summary with a per-second series to `file` (- for stdout)")
	fs.StringVar(&o.htmlFile, "html", "", "write a self-contained HTML report to `file` (- for stdout)")
	fs.Var(&o.thresholds, "threshold", "fail (exit 99) unless `EXPR` holds: p99<20ms, errors<0.1%, rate>0.99 (repeatable)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines")
	fs.StringVar(&o.echoAddr, "echo-server", "", "serve the trivial responder on `address` until Ctrl-C instead of testing")
	if code, ok := fs.parse(args); !ok {
		return cfg, o, code, false
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if o.jsonFile == "-" && o.htmlFile == "-" {
		fs.fail("--json - and --html - cannot both write to stdout")
		return cfg, o, exitUsage, false
	}
	if err := applyModelFlags(&cfg, o); err != nil {
		fmt.Fprintf(s.err, "bandeira loadtest: %v\n", err)
		return cfg, o, exitUsage, false
	}
	return cfg, o, 0, true
}

// applyModelFlags resolves the defaults that depend on which flags were given: the
// default rate only applies without --stages and --concurrency, and the default duration
// only without --stages or an explicit --requests.
func applyModelFlags(cfg *loadtest.Config, o loadtestOptions) error {
	if o.stages != "" {
		st, err := loadtest.ParseStages(o.stages)
		if err != nil {
			return err
		}
		cfg.Stages = st
		if o.set["rate"] {
			return errors.New("--rate and --stages exclude each other")
		}
		if o.set["duration"] {
			return errors.New("--duration and --stages exclude each other: the stages set the length")
		}
		cfg.Rate, cfg.Duration = 0, 0
	}
	if o.set["concurrency"] && !o.set["rate"] {
		cfg.Rate = 0
	}
	if o.set["requests"] && !o.set["duration"] && o.stages == "" {
		cfg.Duration = 0
	}
	return nil
}

// loadtestCards returns the cards (from --cards or generated like the simulator's) and
// the demo merchant of the configuration.
func loadtestCards(o loadtestOptions) ([]loadtest.Card, loadtest.Merchant, error) {
	cfg, err := configs.Load(o.configPath)
	if err != nil {
		return nil, loadtest.Merchant{}, err
	}
	dm := acquirer.DefaultMerchant()
	m := loadtest.Merchant{AcquirerID: cfg.Gateway.AcquirerID, MerchantID: dm.ID, MCC: dm.MCC,
		NameLocation: nameLocation(dm.Name, dm.City)}
	if o.cardsFile != "" {
		f, err := os.Open(o.cardsFile)
		if err != nil {
			return nil, m, fmt.Errorf("opening cards: %w", err)
		}
		defer f.Close()
		cards, err := loadtest.ReadCards(f)
		if err != nil {
			return nil, m, fmt.Errorf("reading %s: %w", o.cardsFile, err)
		}
		return cards, m, nil
	}
	var cards []loadtest.Card
	for c := range issuers.AllCards(cfg.Issuers) {
		cards = append(cards, loadtest.Card{PAN: c.PAN, Expiry: c.Expiry, Issuer: c.Issuer, Brand: string(c.Brand),
			Product: string(c.Product), Scenario: c.Scenario})
	}
	return cards, m, nil
}

// checkWritable creates the report files early, so a bad path fails before the run.
func checkWritable(paths ...string) error {
	for _, p := range paths {
		if p == "" || p == "-" {
			continue
		}
		f, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("creating report file: %w", err)
		}
		_ = f.Close()
	}
	return nil
}

// progressPrinter prints one line a second: rewritten in place on a terminal, plain
// lines otherwise.
func progressPrinter(w io.Writer, quiet bool) func(loadtest.Second) {
	if quiet {
		return nil
	}
	tty := isTerminal(w)
	return func(sec loadtest.Second) {
		if tty {
			fmt.Fprintf(w, "\r%s\x1b[K", loadtest.ProgressLine(sec))
			return
		}
		fmt.Fprintln(w, loadtest.ProgressLine(sec))
	}
}

// serveEcho runs the trivial responder until ctx ends.
func serveEcho(ctx context.Context, addr string, s stdio) int {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira loadtest: listening for the echo server: %v\n", err)
		return exitFail
	}
	srv := loadtest.NewEchoServer(zerolog.New(s.err).Level(zerolog.WarnLevel))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(s.err, "bandeira loadtest: echo server on %s (Ctrl-C to stop)\n", ln.Addr())
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(s.err, "bandeira loadtest: echo server: %v\n", err)
		return exitFail
	}
	_ = srv.Close()
	return exitOK
}
