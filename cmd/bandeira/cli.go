package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes shared by every command.
const (
	exitOK    = 0 // success (for send: a response arrived)
	exitFail  = 1 // the command ran and failed (for send: no response)
	exitUsage = 2 // bad flags, arguments or configuration
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
		{"audit", "check the issuers' books against the ledger invariants", auditCommand},
		{"settlement", "print the merchant payouts from the acquirer's journal", settlementCommand},
		{"clearing", "write a day's clearing files per brand and print positions", clearingCommand},
		{"loadtest", "drive a host with ISO 8583 load and report latency", loadtestCommand},
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
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], s)
		}
	}
	fmt.Fprintf(s.err, "bandeira: unknown command %q (run 'bandeira help')\n", name)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Bandeira: a card network simulator speaking ISO 8583 (gateway, Visa, Mastercard,
Banco do Brasil, Nubank, Sicredi, and an acquirer that prices every sale).

Usage:
  bandeira COMMAND [flags]

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

Run 'bandeira COMMAND --help' for the flags of a command.
`)
}

// flagSet is a subcommand's flags with its long help text.
type flagSet struct {
	*flag.FlagSet
	help string
	out  io.Writer // where --help goes
}

// newFlagSet returns a flag set for a subcommand that never exits the process. --help
// prints the help (usage line, description, examples) and the flag defaults to stdout; a
// bad flag prints one line and a pointer to --help on stderr.
func newFlagSet(name, help string, s stdio) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), help: strings.TrimSpace(help), out: s.out}
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprintf(s.err, "Run 'bandeira %s --help' for usage.\n", name)
	}
	return fs
}

// parse parses args and reports how to exit: ok=false means return code now (0 after
// --help, 2 after a bad flag). Positional arguments are refused.
func (fs *flagSet) parse(args []string) (code int, ok bool) {
	if wantsHelp(args) {
		fmt.Fprintln(fs.out, fs.help)
		fmt.Fprintln(fs.out, "\nFlags:")
		fs.SetOutput(fs.out)
		fs.PrintDefaults()
		return exitOK, false
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "bandeira %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return 0, true
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
