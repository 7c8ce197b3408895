package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/fault"
)

const faultHelp = `
Usage: bandeira fault set TARGET [--latency D] [--jitter D] [--drop P] [--down] [--code RC]
       bandeira fault clear [TARGET]
       bandeira fault list [--json]
  each with [--http-addr ADDR] [--token-file FILE] [--config FILE] [--data-dir DIR]

Injects faults into a running network, live, through the admin API of its HTTP port
(docs/faults.md). TARGET is a party or a link between two of them:

  issuer:BANK            every call the issuer answers, e.g. issuer:nubank
  network:BRAND          every call the network answers, e.g. network:visa
  CALLER->CALLEE         one link, e.g. network:mastercard->issuer:nubank or
                         gateway->network:visa (quote it: > is a shell redirection)

A fault is a delay (--latency plus a uniform draw up to --jitter), a drop probability
(a dropped request is never answered: its caller times out), --down (calls fail at once,
answered 91) or a forced response code (the target answers 0100 and 0200 requests with it
without deciding; advices and reversals pass). Setting
a target replaces its fault; clear without TARGET clears every fault of the network.
The gateway's HTTP port (listen.http, for 'bandeira run' and 'run --processes' alike)
takes every target and passes each to the node that applies it.

The bearer token is read from --token-file, else the config's admin.token_file, else
DIR/admin-token, which 'bandeira run' writes on its first start.

Exit status: 0 done, 1 the network could not be reached or refused the token, or a node
could not be reached, 2 bad usage (a bad target or value).

Examples:
  bandeira fault set issuer:nubank --down
  bandeira fault set issuer:sicredi --latency 500ms --jitter 200ms
  bandeira fault set 'network:mastercard->issuer:nubank' --drop 0.1
  bandeira fault set network:visa --code 05
  bandeira fault list --json
  bandeira fault clear issuer:nubank
  bandeira fault clear --data-dir /tmp/bd --http-addr 127.0.0.1:19583
`

func faultCommand(ctx context.Context, args []string, s stdio) int {
	if len(args) == 0 {
		fmt.Fprintln(s.err, "bandeira fault: want a subcommand: set, clear or list (run 'bandeira fault --help')")
		return exitUsage
	}
	if wantsHelp(args[:1]) || args[0] == "help" {
		fs := newFlagSet("fault", faultHelp, s) // every subcommand's flags
		addFaultFlags(fs)
		fs.Bool("json", false, listJSONUsage)
		addAdminClientFlags(fs)
		fs.printHelp()
		return exitOK
	}
	switch args[0] {
	case "set":
		return faultSet(ctx, args[1:], s)
	case "clear":
		return faultClear(ctx, args[1:], s)
	case "list":
		return faultListCommand(ctx, args[1:], s)
	}
	fmt.Fprintf(s.err, "bandeira fault: unknown subcommand %q: want set, clear or list (run 'bandeira fault --help')\n", args[0])
	return exitUsage
}

// listJSONUsage is the help of list's --json.
const listJSONUsage = `list: print {"faults": [{"target", "latency_ms", "jitter_ms", "drop", "down", "code"}]}`

// faultFlags are the flags of `fault set` that make the fault.
type faultFlags struct {
	latency, jitter *time.Duration
	drop            *float64
	down            *bool
	code            *string
}

func addFaultFlags(fs *flagSet) *faultFlags {
	return &faultFlags{
		latency: fs.Duration("latency", 0, "set: fixed `delay` added to every call, e.g. 500ms"),
		jitter:  fs.Duration("jitter", 0, "set: uniform random `delay` from 0 to this added on top"),
		drop:    fs.Float64("drop", 0, "set: `probability` (0 to 1) that a request is never answered"),
		down:    fs.Bool("down", false, "set: the target answers nothing: calls fail at once (91)"),
		code:    fs.String("code", "", "set: the target answers this response `code` itself, e.g. 05"),
	}
}

func (f *faultFlags) fault() fault.Fault {
	return fault.Fault{Latency: *f.latency, Jitter: *f.jitter, Drop: *f.drop, Down: *f.down, Code: bandeira.ResponseCode(*f.code)}
}

func faultSet(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("fault set", faultHelp, s)
	fs.allowArgs(1)
	ff := addFaultFlags(fs)
	conn := addAdminClientFlags(fs)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.fail("set needs a TARGET, e.g. issuer:nubank")
		return exitUsage
	}
	t, err := fault.ParseTarget(fs.Arg(0))
	f := ff.fault()
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		fs.fail(err.Error())
		return exitUsage
	}
	c, code := conn.client(fs)
	if code >= 0 {
		return code
	}
	var got fault.Entry
	if code = c.do(ctx, "PUT", t, f, &got); code != exitOK {
		return code
	}
	fmt.Fprintf(s.out, "%s: %s\n", got.Target, got.Fault)
	return exitOK
}

func faultClear(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("fault clear", faultHelp, s)
	fs.allowArgs(1)
	conn := addAdminClientFlags(fs)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	var t fault.Target
	if fs.NArg() == 1 {
		var err error
		if t, err = fault.ParseTarget(fs.Arg(0)); err != nil {
			fs.fail(err.Error())
			return exitUsage
		}
	}
	c, code := conn.client(fs)
	if code >= 0 {
		return code
	}
	var rep clearReport
	code = c.do(ctx, "DELETE", t, nil, &rep)
	switch {
	case code == exitUsage || rep.Cleared == nil:
		return code
	case len(rep.Cleared) > 0:
		fmt.Fprintf(s.out, "cleared %s\n", joinTargets(rep.Cleared))
	case t != "":
		fmt.Fprintf(s.out, "%s had no fault\n", t)
	default:
		fmt.Fprintln(s.out, "no faults were set")
	}
	return code
}

func faultListCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("fault list", faultHelp, s)
	asJSON := fs.Bool("json", false, listJSONUsage)
	conn := addAdminClientFlags(fs)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	c, code := conn.client(fs)
	if code >= 0 {
		return code
	}
	var l faultList
	code = c.do(ctx, "GET", "", nil, &l)
	switch {
	case code == exitUsage || l.Faults == nil:
		return code
	case *asJSON:
		l.Error = ""
		printJSON(s.out, l)
	case len(l.Faults) == 0:
		fmt.Fprintln(s.out, "no faults set")
	default:
		tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TARGET\tFAULT")
		for _, e := range l.Faults {
			fmt.Fprintf(tw, "%s\t%s\n", e.Target, e.Fault)
		}
		_ = tw.Flush()
	}
	return code
}

func joinTargets(ts []fault.Target) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// faultRequestTimeout bounds one admin request of the command, forwarding included.
const faultRequestTimeout = 30 * time.Second
