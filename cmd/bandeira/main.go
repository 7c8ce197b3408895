// Command bandeira runs the Bandeira card-network simulator and its tools.
//
//	bandeira run       the whole network in one process (gateway, Visa, Mastercard, issuers, acquirer)
//	bandeira cards     list the deterministic test cards
//	bandeira send      send one ISO 8583 message and print the answer
//	bandeira loadtest  drive a host with ISO 8583 load and report latency
//	bandeira audit     check the issuers' durable books against the ledger invariants
//
// Run `bandeira help` or `bandeira COMMAND --help` for flags and examples.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
