package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes shared by every command.
const (
	exitOK    = 0 // success (for send: a response arrived)
	exitFail  = 1 // the command ran and failed (for send: no response)
	exitUsage = 2 // bad flags, arguments or configuration

	// exitThresholds is loadtest's exit code when the run completed but a --threshold
	// failed: k6's code for failed thresholds, so CI tells a slow target from a broken run.
	exitThresholds = 99
)

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io stdio) int
}

// stdio carries the streams a command reads and writes, so tests can capture them.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

func commands() []command {
	return []command{
		{"run", "run the whole simulated network, in one process or one per party", runCommand},
		{"node", "run one party of the network (gateway, network:BRAND, issuer:BANK)", nodeCommand},
		{"cards", "list the deterministic test cards", cardsCommand},
		{"send", "send one ISO 8583 message and print the response", sendCommand},
		{"describe", "decode an ISO 8583 message (hex, raw or JSON) and print every field", describeCommand},
		{"audit", "check the issuers' books against the ledger invariants", auditCommand},
		{"settlement", "print the merchant payouts from the acquirer's journal", settlementCommand},
		{"clearing", "write a day's clearing files per brand and print positions", clearingCommand},
		{"loadtest", "drive a host with ISO 8583 load and report latency", loadtestCommand},
		{"fault", "inject faults into a running network, live: latency, drops, down, a forced code", faultCommand},
		{"version", "print the version, revision and Go version of this binary", versionCommand},
	}
}

// Run executes the command line args (without the program name) and returns the exit code.
// It is what main calls and what end-to-end tests call.
func Run(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	s := stdio{in, out, errOut}
	if len(args) == 0 {
		usage(s.err)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return Run(ctx, []string{args[1], "--help"}, in, out, errOut)
		}
		usage(s.out)
		return exitOK
	case "--version", "-version":
		return versionCommand(ctx, args[1:], s)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], s)
		}
	}
	if strings.HasPrefix(name, "-") {
		fmt.Fprintf(s.err, "bandeira: unknown flag %s before the command (run 'bandeira help')\n", name)
	} else {
		fmt.Fprintf(s.err, "bandeira: unknown command %q (run 'bandeira help')\n", name)
	}
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Bandeira: a card network simulator speaking ISO 8583 (gateway, Visa, Mastercard,
Banco do Brasil, Nubank, Sicredi, and an acquirer that prices every sale).

Usage:
  bandeira COMMAND [flags]
  bandeira --version

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  bandeira run                                   # gateway on 127.0.0.1:8583, metrics on :9583
  bandeira cards --issuer nubank                 # test cards and scenario cards
  bandeira send --pan 4000010100000000 --expiry 3205 --amount 10000
  bandeira describe iso/testdata/0100.hex        # decode a message field by field

Exit status: 0 success, 1 the command failed, 2 bad usage (one line on stderr);
'bandeira loadtest' exits 99 when a threshold fails.

Run 'bandeira COMMAND --help' for the flags of a command.
`)
}

// flagSet is a subcommand's flags with its long help text. It embeds a GNU-style
// pflag.FlagSet (--name VALUE, --name=VALUE, -- ends the flags), so commands declare flags
// with the usual fs.String, fs.Bool, fs.Int, fs.Duration and fs.Var calls; a single-dash
// long flag (-json) is accepted too, as Go's flag package spells them.
type flagSet struct {
	*pflag.FlagSet
	help    string
	out     io.Writer // where --help goes
	errOut  io.Writer // where the one-line errors go
	maxArgs int       // positional arguments allowed, 0 unless allowArgs
}

// newFlagSet returns a flag set for a subcommand that never exits the process. --help
// prints the help (usage line, description, examples) and the flags to stdout; a bad flag
// prints one line on stderr naming the command, the problem and --help.
func newFlagSet(name, help string, s stdio) *flagSet {
	pfs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	pfs.SortFlags = false     // flags in the order the command declares them
	pfs.SetOutput(io.Discard) // parse reports errors itself, on one line
	pfs.Usage = func() {}
	return &flagSet{FlagSet: pfs, help: strings.TrimSpace(help), out: s.out, errOut: s.err}
}

// allowArgs lets the command take up to n positional arguments (fs.Args()).
func (fs *flagSet) allowArgs(n int) { fs.maxArgs = n }

// Var defines a flag with a value of the standard library's flag.Value interface (a
// pflag.Value is used as is). Its help shows the back-quoted word of usage, or "value".
func (fs *flagSet) Var(v flag.Value, name, usage string) {
	if pv, ok := v.(pflag.Value); ok {
		fs.FlagSet.Var(pv, name, usage)
		return
	}
	fs.FlagSet.Var(stdValue{v}, name, usage)
}

// Visit calls fn for each flag that was set, in declaration order, as the standard
// library's FlagSet.Visit does (Name, Usage, Value and DefValue are filled).
func (fs *flagSet) Visit(fn func(*flag.Flag)) {
	fs.FlagSet.Visit(func(f *pflag.Flag) { fn(stdFlag(f)) })
}

// VisitAll calls fn for every flag, in declaration order, as the standard library's
// FlagSet.VisitAll does.
func (fs *flagSet) VisitAll(fn func(*flag.Flag)) {
	fs.FlagSet.VisitAll(func(f *pflag.Flag) { fn(stdFlag(f)) })
}

func stdFlag(f *pflag.Flag) *flag.Flag {
	return &flag.Flag{Name: f.Name, Usage: f.Usage, Value: f.Value, DefValue: f.DefValue}
}

// stdValue adapts a flag.Value to pflag.Value.
type stdValue struct{ flag.Value }

func (stdValue) Type() string { return "value" }

// parse parses args and reports how to exit: ok=false means return code now (0 after
// --help, 2 after a bad flag or argument). Positional arguments beyond allowArgs are
// refused.
func (fs *flagSet) parse(args []string) (code int, ok bool) {
	if wantsHelp(args) {
		fs.printHelp()
		return exitOK, false
	}
	if err := fs.Parse(goStyleLongFlags(fs.FlagSet, args)); err != nil {
		fs.fail(describeFlagError(err))
		return exitUsage, false
	}
	if fs.NArg() > fs.maxArgs {
		fs.fail(fmt.Sprintf("unexpected argument %q", fs.Arg(fs.maxArgs)))
		return exitUsage, false
	}
	return 0, true
}

// fail prints one usage error line.
func (fs *flagSet) fail(problem string) {
	fmt.Fprintf(fs.errOut, "bandeira %s: %s (run 'bandeira %s --help')\n", fs.Name(), problem, fs.Name())
}

func (fs *flagSet) printHelp() {
	fmt.Fprintln(fs.out, fs.help)
	fmt.Fprintln(fs.out, "\nFlags:")
	fmt.Fprint(fs.out, fs.flagUsages())
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}
