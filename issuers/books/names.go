package books

import (
	"errors"
	"strconv"
	"strings"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// errBadName reports a stored key or account name that does not parse.
var errBadName = errors.New("books: malformed stored name")

// keyText is a key as stored: transmission time, acquirer ID, STAN and terminal joined by
// "/" (the terminal last, since it alone may contain a "/"). The time leads so that the
// requests_key index takes new keys at its end, as they arrive, rather than one random
// page per request (migration 4 rewrote the keys stored before in this order).
func keyText(k bandeira.Key) string {
	return k.TransmissionTime + "/" + k.AcquirerID + "/" + k.STAN + "/" + k.TerminalID
}

func parseKey(s string) (bandeira.Key, error) {
	t, rest, ok1 := strings.Cut(s, "/")
	a, rest, ok2 := strings.Cut(rest, "/")
	stan, term, ok3 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || !ok3 {
		return bandeira.Key{}, errBadName
	}
	return bandeira.Key{AcquirerID: a, TerminalID: term, STAN: stan, TransmissionTime: t}, nil
}

// cardName is a card account's name: its BIN and serial, never the PAN.
func cardName(id ledger.AccountID) string {
	return id.BIN + "/" + strconv.FormatUint(uint64(id.Serial), 10)
}

func parseCardName(s string) (ledger.AccountID, error) {
	bin, serial, ok := strings.Cut(s, "/")
	n, err := strconv.ParseUint(serial, 10, 32)
	if !ok || err != nil {
		return ledger.AccountID{}, errBadName
	}
	return ledger.AccountID{BIN: bin, Serial: uint32(n)}, nil
}
