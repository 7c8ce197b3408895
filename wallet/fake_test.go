package wallet_test

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/bandeira/bandeira"
)

// fakeNetwork plays the gateway, the networks and the issuers for the wallet's unit
// tests, behind a real ISO 8583 server: it verifies cards (CVV2 "123" is right), issues
// tokens, checks cryptograms with the requestor key, keeps balances, and answers what a
// test scripts. The end-to-end tests in cmd/bandeira run the real network instead.
type fakeNetwork struct {
	key []byte

	mu        sync.Mutex
	tokens    map[string]string // token → PAN
	refs      map[string]string // reference → token
	counters  map[string]uint32
	balances  map[string]bandeira.Amount // PAN → available
	posted    map[string]posting         // request key → what it moved
	reversed  map[string]bool
	refuse    map[string]bandeira.ResponseCode // PAN → code for original credits
	down      bool                             // answer 91 to everything
	hold      chan struct{}                    // when set, financial requests wait for it to close
	requests  []bandeira.Authorization
	reversals int
}

type posting struct {
	pan    string
	amount bandeira.Amount // signed: what the account gained
}

func newFakeNetwork(key []byte) *fakeNetwork {
	return &fakeNetwork{key: key, tokens: map[string]string{}, refs: map[string]string{}, counters: map[string]uint32{},
		balances: map[string]bandeira.Amount{}, posted: map[string]posting{}, reversed: map[string]bool{},
		refuse: map[string]bandeira.ResponseCode{}}
}

// product is the card product of a test PAN, from its 8-digit BIN as in the default
// configuration.
func product(pan string) bandeira.Product {
	switch {
	case strings.HasPrefix(pan, "40000101"), strings.HasPrefix(pan, "52600101"):
		return bandeira.Credit
	case strings.HasPrefix(pan, "52600103"):
		return bandeira.Prepaid
	}
	return bandeira.Debit
}

func keyOf(k bandeira.Key) string {
	k = k.Normal()
	return k.AcquirerID + "/" + k.TerminalID + "/" + k.STAN + "/" + k.TransmissionTime
}

// Authorize answers one request as the network would.
func (f *fakeNetwork) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, a)
	if hold := f.hold; hold != nil && a.MTI.Class() == '2' {
		f.mu.Unlock()
		select {
		case <-hold:
		case <-ctx.Done():
		}
		f.mu.Lock()
		return bandeira.Result{}, ctx.Err()
	}
	if f.down {
		return bandeira.Result{Code: bandeira.IssuerUnavailable}, nil
	}
	pan := a.PAN.Digits()
	if card, ok := f.tokens[pan]; ok {
		if a.MTI.Class() != '4' {
			if code := f.checkCryptogram(a); code != "" {
				return bandeira.Result{Code: code}, nil
			}
		}
		pan = card
	}
	res := bandeira.Result{Product: product(pan), Issuer: "fakebank"}
	if _, ok := f.balances[pan]; !ok {
		f.balances[pan] = opening(pan)
	}
	switch {
	case a.MTI.Class() == '4':
		f.reverse(a)
		res.Code = bandeira.Approved
	case a.TokenRequest != nil:
		return f.tokenize(a, res), nil
	default:
		res.Code = f.post(a, pan)
	}
	if res.Code.Approved() {
		res.AuthCode = "A00001"
	}
	return res, nil
}

func (f *fakeNetwork) checkCryptogram(a bandeira.Authorization) bandeira.ResponseCode {
	c := a.Cryptogram
	if c == nil || c.Counter <= f.counters[a.PAN.Digits()] {
		return bandeira.DoNotHonour
	}
	want := bandeira.TokenCryptogram(bandeira.TokenKey(f.key, a.PAN), &a, c.Counter)
	if !bandeira.CryptogramEqual(want, c.Value) {
		return bandeira.DoNotHonour
	}
	f.counters[a.PAN.Digits()] = c.Counter
	return ""
}

func (f *fakeNetwork) tokenize(a bandeira.Authorization, res bandeira.Result) bandeira.Result {
	if a.CVV2 != "123" {
		res.Code = bandeira.CVV2Mismatch
		return res
	}
	ref := a.TokenRequest.Reference
	tok, ok := f.refs[ref]
	if !ok {
		body := fmt.Sprintf("48950000%07d", len(f.tokens)+1)
		tok = body + string(bandeira.LuhnCheckDigit(body))
		f.tokens[tok], f.refs[ref] = a.PAN.Digits(), tok
	} else if f.tokens[tok] != a.PAN.Digits() {
		res.Code = bandeira.DoNotHonour
		return res
	}
	res.Code, res.AuthCode, res.Token = bandeira.Approved, "A00000", &bandeira.Token{Number: bandeira.PAN(tok), Expiry: a.Expiry}
	return res
}

func (f *fakeNetwork) post(a bandeira.Authorization, pan string) bandeira.ResponseCode {
	delta := -a.Amount
	if a.TxType() == bandeira.TxOriginalCredit {
		if code, ok := f.refuse[pan]; ok {
			return code
		}
		delta = a.Amount
	}
	if f.balances[pan]+delta < 0 {
		return bandeira.InsufficientFunds
	}
	f.balances[pan] += delta
	f.posted[keyOf(a.Key())] = posting{pan: pan, amount: delta}
	return bandeira.Approved
}

func (f *fakeNetwork) reverse(a bandeira.Authorization) {
	k := keyOf(a.OriginalKey())
	f.reversals++
	if p, ok := f.posted[k]; ok && !f.reversed[k] {
		f.balances[p.pan] -= p.amount
		f.reversed[k] = true
	}
}

func (f *fakeNetwork) balance(pan string) bandeira.Amount {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.balances[pan]; ok {
		return b
	}
	return opening(pan)
}

// opening is a card's opening balance: R$ 10,000.00, except poorPAN's R$ 1.00.
func opening(pan string) bandeira.Amount {
	if pan == poorPAN {
		return 100
	}
	return 1_000_000
}

// holdPayments makes financial requests wait, unanswered, until release is called.
func (f *fakeNetwork) holdPayments() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hold := make(chan struct{})
	f.hold = hold
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			f.hold = nil
			f.mu.Unlock()
			close(hold)
		})
	}
}

func (f *fakeNetwork) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeNetwork) refuseCredits(pan string, code bandeira.ResponseCode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse[pan] = code
}

func (f *fakeNetwork) reversalCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reversals
}

// seen returns the requests the network received.
func (f *fakeNetwork) seen() []bandeira.Authorization {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bandeira.Authorization(nil), f.requests...)
}

// paymentsSent counts the financial requests (0200) the network received.
func (f *fakeNetwork) paymentsSent() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, a := range f.requests {
		if a.MTI.Class() == '2' {
			n++
		}
	}
	return n
}

// tokenOf returns the token the network issued for a card reference (the wallet's card
// ID), "" for none.
func (f *fakeNetwork) tokenOf(reference string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refs[reference]
}
