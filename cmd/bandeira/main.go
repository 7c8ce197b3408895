// Command bandeira runs the Bandeira card-network simulator and its tools.
//
//	bandeira run         the whole network in one process (gateway, Visa, Mastercard, issuers, acquirer)
//	bandeira cards       list the deterministic test cards
//	bandeira send        send one ISO 8583 message and print the answer
//	bandeira describe    decode an ISO 8583 message (hex, raw or JSON) field by field
//	bandeira audit       check the issuers' durable books against the ledger invariants
//	bandeira settlement  print the merchant payouts from the acquirer's journal
//	bandeira clearing    write a day's clearing files per brand
//	bandeira loadtest    drive a host with ISO 8583 load and report latency
//	bandeira fault       inject faults into a running network, live (latency, drops, down, codes)
//	bandeira version     print the version, revision and Go version
//
// Run `bandeira help` or `bandeira COMMAND --help` for flags and examples. Exit status: 0
// success, 1 failure, 2 bad usage; loadtest exits 99 when a threshold fails.
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
