package books_test

import (
	"runtime"

	"github.com/bandeira/bandeira"
)

func ncpu() int { return runtime.GOMAXPROCS(0) }

// newKey builds a request key in normal form, as the issuers build them.
func newKey(acquirerID, terminalID, stan, transmissionTime string) bandeira.Key {
	return bandeira.Key{AcquirerID: acquirerID, TerminalID: terminalID, STAN: stan, TransmissionTime: transmissionTime}.Normal()
}
