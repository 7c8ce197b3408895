package ledger_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

var (
	card  = ledger.AccountID{BIN: "40000102", Serial: 7}
	other = ledger.AccountID{BIN: "40000102", Serial: 8}
	ref   = ledger.Ref{ID: card, Opening: ledger.Opening{Balance: 10_000}}
)

// opened is card's account after its opening, with balance and held as given.
func opened(balance, held bandeira.Amount) ledger.Account {
	return ledger.Account{ID: card, Opened: true, Balance: balance, Held: held}
}

// hold is an approved open hold of amount on card, partly reversed down to open if open
// differs from amount.
func hold(amount, open bandeira.Amount) *ledger.Request {
	return &ledger.Request{Key: key("1"), Account: card, Kind: ledger.Hold, Amount: amount, Status: ledger.StatusApplied,
		AuthCode: "A1", Open: open, State: ledger.StateOpen, Reversed: open != amount, At: 1}
}

func posting(kind ledger.PostingKind, from, to ledger.Party, amount bandeira.Amount) ledger.Posting {
	return ledger.Posting{Kind: kind, From: from, To: to, Amount: amount}
}

// engineCase is one decision: what the engine is given and what it must answer and change.
type engineCase struct {
	name     string
	in       ledger.Input
	status   ledger.Status
	released bandeira.Amount
	account  ledger.Account // after
	postings []ledger.Posting
	request  *ledger.Request // new or changed; nil: none
	tomb     bool
}

func engineCases() []engineCase {
	partial := bandeira.Amount(1_000)
	debit := hold(4_000, 4_000)
	debit.Kind = ledger.Debit
	credit := hold(700, 700)
	credit.Kind = ledger.Credit
	declined := &ledger.Request{Key: key("1"), Account: card, Kind: ledger.Hold, Amount: 50_000,
		Status: ledger.StatusInsufficientFunds, State: ledger.StateDeclined, At: 1}
	entry := func(kind ledger.Kind, amount bandeira.Amount) ledger.Entry {
		return ledger.Entry{Ref: ref, Kind: kind, Key: key("1"), Amount: amount, AuthCode: "A1"}
	}
	reverse := ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")}
	reversePartial := reverse
	reversePartial.Replacement = &partial
	cases := []engineCase{
		{name: "a first hold opens the card from funding and moves the amount to holds",
			in:     ledger.Input{Entry: entry(ledger.Hold, 2_500), Account: ledger.NewAccount(ref), At: 1},
			status: ledger.StatusApplied, account: opened(7_500, 2_500),
			postings: []ledger.Posting{posting(ledger.PostOpen, ledger.Funding, ledger.Card, 10_000), posting(ledger.PostHold, ledger.Card, ledger.Holds, 2_500)},
			request:  hold(2_500, 2_500)},
		{name: "a hold beyond available is remembered as declined and moves nothing",
			in:     ledger.Input{Entry: entry(ledger.Hold, 50_000), Account: opened(10_000, 0), At: 1},
			status: ledger.StatusInsufficientFunds, account: opened(10_000, 0), request: declined},
		{name: "an original whose reversal came first is declined as tombstoned",
			in:     ledger.Input{Entry: entry(ledger.Debit, 100), Account: opened(10_000, 0), Tombstoned: true, At: 1},
			status: ledger.StatusTombstoned, account: opened(10_000, 0),
			request: &ledger.Request{Key: key("1"), Account: card, Kind: ledger.Debit, Amount: 100, Status: ledger.StatusTombstoned, State: ledger.StateDeclined, At: 1}},
		{name: "a debit posts to settlement and a credit from it",
			in:     ledger.Input{Entry: entry(ledger.Debit, 4_000), Account: opened(10_000, 0), At: 1},
			status: ledger.StatusApplied, account: opened(6_000, 0),
			postings: []ledger.Posting{posting(ledger.PostDebit, ledger.Card, ledger.Settlement, 4_000)}, request: debit},
		{name: "an identical retransmit is a duplicate and changes nothing",
			in:     ledger.Input{Entry: entry(ledger.Hold, 2_500), Account: opened(7_500, 2_500), Request: hold(2_500, 2_500), At: 2},
			status: ledger.StatusDuplicate, account: opened(7_500, 2_500)},
		{name: "the same key with another amount is a conflict",
			in:     ledger.Input{Entry: entry(ledger.Hold, 2_501), Account: opened(7_500, 2_500), Request: hold(2_500, 2_500), At: 2},
			status: ledger.StatusConflict, account: opened(7_500, 2_500)},
		{name: "a partial reversal releases the part above the replacement and leaves the rest open",
			in:     ledger.Input{Entry: reversePartial, Account: opened(7_500, 2_500), Request: hold(2_500, 2_500), At: 2},
			status: ledger.StatusApplied, released: 1_500, account: opened(9_000, 1_000),
			postings: []ledger.Posting{posting(ledger.PostRelease, ledger.Holds, ledger.Card, 1_500)}, request: hold(2_500, 1_000)},
		{name: "a full reversal after a partial one releases the rest",
			in:     ledger.Input{Entry: reverse, Account: opened(9_000, 1_000), Request: hold(2_500, 1_000), At: 3},
			status: ledger.StatusApplied, released: 1_000, account: opened(10_000, 0),
			postings: []ledger.Posting{posting(ledger.PostRelease, ledger.Holds, ledger.Card, 1_000)},
			request:  resolved(hold(2_500, 0), ledger.StateReversed)},
		{name: "a partial reversal above the amount in effect changes nothing",
			in:     ledger.Input{Entry: reversePartial, Account: opened(9_700, 300), Request: hold(2_500, 300), At: 3},
			status: ledger.StatusAlreadyReversed, account: opened(9_700, 300)},
		{name: "a reversal of a fully reversed original changes nothing",
			in:     ledger.Input{Entry: reverse, Account: opened(10_000, 0), Request: resolved(hold(2_500, 0), ledger.StateReversed), At: 3},
			status: ledger.StatusAlreadyReversed, account: opened(10_000, 0)},
		{name: "a reversal with no original leaves a tombstone and opens no account",
			in:     ledger.Input{Entry: reverse, Account: ledger.NewAccount(ref), At: 1},
			status: ledger.StatusNotFound, account: ledger.NewAccount(ref), tomb: true},
		{name: "a second reversal with no original leaves nothing more",
			in:     ledger.Input{Entry: reverse, Account: opened(10_000, 0), Tombstoned: true, At: 2},
			status: ledger.StatusNotFound, account: opened(10_000, 0)},
		{name: "a reversal of a declined request undoes nothing but is remembered on it",
			in:     ledger.Input{Entry: reverse, Account: opened(10_000, 0), Request: declined, At: 2},
			status: ledger.StatusNotFound, account: opened(10_000, 0), request: reversedDecline(declined)},
		{name: "a reversal naming another card acts on its original's account",
			in:     ledger.Input{Entry: ledger.Entry{Ref: ledger.Ref{ID: other}, Kind: ledger.Reverse, Key: key("1")}, Account: opened(7_500, 2_500), Request: hold(2_500, 2_500), At: 2},
			status: ledger.StatusApplied, released: 2_500, account: opened(10_000, 0),
			postings: []ledger.Posting{posting(ledger.PostRelease, ledger.Holds, ledger.Card, 2_500)},
			request:  resolved(hold(2_500, 0), ledger.StateReversed)},
		{name: "a refund reversal the card cannot cover is declined and changes nothing",
			in:     ledger.Input{Entry: reverse, Account: opened(200, 0), Request: credit, At: 2},
			status: ledger.StatusInsufficientFunds, account: opened(200, 0)},
		{name: "a debit reversal after a partial one credits back the rest",
			in:     ledger.Input{Entry: reverse, Account: opened(9_000, 0), Request: partly(debit, 1_000), At: 2},
			status: ledger.StatusApplied, released: 1_000, account: opened(10_000, 0),
			postings: []ledger.Posting{posting(ledger.PostReverseDebit, ledger.Settlement, ledger.Card, 1_000)},
			request:  resolved(partly(debit, 0), ledger.StateReversed)},
		{name: "a capture settles what it captures, releases the rest and keeps the capture in effect",
			in:     ledger.Input{Entry: ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 1_800}, Account: opened(7_500, 2_500), Request: hold(2_500, 2_500), At: 2},
			status: ledger.StatusApplied, released: 700, account: opened(8_200, 0),
			postings: []ledger.Posting{posting(ledger.PostCapture, ledger.Holds, ledger.Settlement, 1_800), posting(ledger.PostRelease, ledger.Holds, ledger.Card, 700)},
			request:  captured(1_800)},
		{name: "a reversal of a captured hold gives back what it captured, from settlement",
			in:     ledger.Input{Entry: reversePartial, Account: opened(8_200, 0), Request: captured(1_800), At: 3},
			status: ledger.StatusApplied, released: 800, account: opened(9_000, 0),
			postings: []ledger.Posting{posting(ledger.PostReverseCapture, ledger.Settlement, ledger.Card, 800)},
			request:  partly(captured(1_800), 1_000)},
		{name: "a second capture of a captured hold changes nothing",
			in:     ledger.Input{Entry: ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 100}, Account: opened(8_200, 0), Request: captured(1_800), At: 3},
			status: ledger.StatusAlreadyReversed, account: opened(8_200, 0)},
		{name: "a capture of a debit is a conflict",
			in:     ledger.Input{Entry: ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 100}, Account: opened(6_000, 0), Request: debit, At: 2},
			status: ledger.StatusConflict, account: opened(6_000, 0)},
		{name: "the same key with another type is a conflict",
			in:     ledger.Input{Entry: typed(entry(ledger.Hold, 2_500), 1_010_000), Account: opened(7_500, 2_500), Request: typedReq(hold(2_500, 2_500), 1_000_000), At: 2},
			status: ledger.StatusConflict, account: opened(7_500, 2_500)},
	}
	return append(cases, declineCases()...)
}

// declineCases are the decisions on declines, PINs, inquiries and stand-in advices.
func declineCases() []engineCase {
	entry := func(kind ledger.Kind, amount bandeira.Amount) ledger.Entry {
		return ledger.Entry{Ref: ref, Kind: kind, Key: key("1"), Amount: amount, AuthCode: "A1"}
	}
	declinedWith := func(code bandeira.ResponseCode, amount bandeira.Amount) *ledger.Request {
		return &ledger.Request{Key: key("1"), Seq: 9, Account: card, Kind: ledger.Hold, Amount: amount,
			Status: ledger.StatusDeclined, Code: code, State: ledger.StateDeclined, At: 1}
	}
	cvv2 := entry(ledger.Hold, 2_500)
	cvv2.Decline = bandeira.CVV2Mismatch
	zero := entry(ledger.Hold, 0)
	zero.Decline = bandeira.InvalidAmount
	wrongPIN := entry(ledger.Hold, 2_500)
	wrongPIN.PIN, wrongPIN.PINTries = ledger.PINWrong, 3
	rightPIN := entry(ledger.Hold, 2_500)
	rightPIN.PIN, rightPIN.AuthCode, rightPIN.AuthCodes = ledger.PINRight, "", func(seq uint64) string { return fmt.Sprint("S", seq) }
	standIn := entry(ledger.Hold, 50_000)
	standIn.StandIn, standIn.AuthCode = true, "STIP01"
	inquiry := ledger.Entry{Ref: ref, Kind: ledger.Inquiry, Key: key("1"), AuthCodes: rightPIN.AuthCodes}
	withPINs := func(a ledger.Account, n int) ledger.Account { a.PINFailures = n; return a }
	approvedByStandIn := &ledger.Request{Key: key("1"), Seq: 9, Account: card, Kind: ledger.Hold, Amount: 50_000,
		Status: ledger.StatusApplied, AuthCode: "STIP01", Open: 50_000, State: ledger.StateOpen, StandIn: true, At: 5}
	declined := &ledger.Request{Key: key("1"), Seq: 9, Account: card, Kind: ledger.Hold, Amount: 50_000,
		Status: ledger.StatusInsufficientFunds, State: ledger.StateDeclined, At: 1}
	return []engineCase{
		{name: "a decline the bank decided is remembered with its code and moves nothing",
			in:     ledger.Input{Entry: cvv2, Account: opened(10_000, 0), Seq: 9, At: 1},
			status: ledger.StatusDeclined, account: opened(10_000, 0), request: declinedWith(bandeira.CVV2Mismatch, 2_500)},
		{name: "an amount decline is remembered with amount zero",
			in:     ledger.Input{Entry: zero, Account: opened(10_000, 0), Seq: 9, At: 1},
			status: ledger.StatusDeclined, account: opened(10_000, 0), request: declinedWith(bandeira.InvalidAmount, 0)},
		{name: "a retransmit of a decline gets the decline, whatever it corrected",
			in:     ledger.Input{Entry: entry(ledger.Hold, 2_500), Account: opened(10_000, 0), Request: declinedWith(bandeira.CVV2Mismatch, 2_500), At: 2},
			status: ledger.StatusDuplicate, account: opened(10_000, 0)},
		{name: "a wrong PIN counts and declines 55",
			in:     ledger.Input{Entry: wrongPIN, Account: opened(10_000, 0), Seq: 9, At: 1},
			status: ledger.StatusDeclined, account: withPINs(opened(10_000, 0), 1), request: declinedWith(bandeira.IncorrectPIN, 2_500)},
		{name: "the third wrong PIN in a row declines 75",
			in:     ledger.Input{Entry: wrongPIN, Account: withPINs(opened(10_000, 0), 2), Seq: 9, At: 1},
			status: ledger.StatusDeclined, account: withPINs(opened(10_000, 0), 3), request: declinedWith(bandeira.PINTriesExceeded, 2_500)},
		{name: "a retransmit with a wrong PIN does not count it",
			in:     ledger.Input{Entry: wrongPIN, Account: withPINs(opened(10_000, 0), 1), Request: declinedWith(bandeira.IncorrectPIN, 2_500), At: 2},
			status: ledger.StatusDuplicate, account: withPINs(opened(10_000, 0), 1)},
		{name: "a right PIN resets the count and the hold takes its code from the sequence",
			in:     ledger.Input{Entry: rightPIN, Account: withPINs(opened(10_000, 0), 2), Seq: 9, At: 1},
			status: ledger.StatusApplied, account: opened(7_500, 2_500),
			postings: []ledger.Posting{posting(ledger.PostHold, ledger.Card, ledger.Holds, 2_500)},
			request: &ledger.Request{Key: key("1"), Seq: 9, Account: card, Kind: ledger.Hold, Amount: 2_500, Status: ledger.StatusApplied,
				AuthCode: "S9", Open: 2_500, State: ledger.StateOpen, At: 1}},
		{name: "an inquiry is remembered as answered and moves nothing",
			in:     ledger.Input{Entry: inquiry, Account: ledger.NewAccount(ref), Seq: 4, At: 1},
			status: ledger.StatusApplied, account: opened(10_000, 0),
			postings: []ledger.Posting{posting(ledger.PostOpen, ledger.Funding, ledger.Card, 10_000)},
			request: &ledger.Request{Key: key("1"), Seq: 4, Account: card, Kind: ledger.Inquiry, Status: ledger.StatusApplied,
				AuthCode: "S4", State: ledger.StateAnswered, At: 1}},
		{name: "a stand-in approval holds beyond the available balance",
			in:     ledger.Input{Entry: standIn, Account: opened(10_000, 0), Seq: 9, At: 5},
			status: ledger.StatusApplied, account: opened(-40_000, 50_000),
			postings: []ledger.Posting{posting(ledger.PostHold, ledger.Card, ledger.Holds, 50_000)}, request: approvedByStandIn},
		{name: "a stand-in approval binds over the issuer's own decline, holding from the advice's time",
			in:     ledger.Input{Entry: standIn, Account: opened(10_000, 0), Request: declined, At: 5},
			status: ledger.StatusApplied, account: opened(-40_000, 50_000),
			postings: []ledger.Posting{posting(ledger.PostHold, ledger.Card, ledger.Holds, 50_000)}, request: approvedByStandIn},
		{name: "a stand-in approval of an approved key changes nothing",
			in:     ledger.Input{Entry: standIn, Account: opened(-40_000, 50_000), Request: approvedByStandIn, At: 6},
			status: ledger.StatusDuplicate, account: opened(-40_000, 50_000)},
		{name: "a stand-in approval of a key reversed first is declined as tombstoned",
			in:     ledger.Input{Entry: standIn, Account: opened(10_000, 0), Tombstoned: true, Seq: 9, At: 5},
			status: ledger.StatusTombstoned, account: opened(10_000, 0),
			request: &ledger.Request{Key: key("1"), Seq: 9, Account: card, Kind: ledger.Hold, Amount: 50_000,
				Status: ledger.StatusTombstoned, State: ledger.StateDeclined, At: 5}},
		{name: "a stand-in approval of a declined key that a reversal matched changes nothing",
			in:     ledger.Input{Entry: standIn, Account: opened(10_000, 0), Request: reversedDecline(declined), At: 5},
			status: ledger.StatusDuplicate, account: opened(10_000, 0)},
	}
}

// resolved returns r in state st.
func resolved(r *ledger.Request, st ledger.State) *ledger.Request {
	r.State = st
	return r
}

// partly returns a copy of r reversed down to open.
func partly(r *ledger.Request, open bandeira.Amount) *ledger.Request {
	q := *r
	q.Open, q.Reversed = open, true
	return &q
}

// captured is the hold of 2,500 captured for open.
func captured(open bandeira.Amount) *ledger.Request {
	r := hold(2_500, open)
	r.Reversed, r.State = false, ledger.StateCaptured
	return r
}

func reversedDecline(r *ledger.Request) *ledger.Request {
	q := *r
	q.Reversed = true
	return &q
}

func typed(e ledger.Entry, t uint32) ledger.Entry {
	e.Type = t
	return e
}

func typedReq(r *ledger.Request, t uint32) *ledger.Request {
	r.Type = t
	return r
}

func TestEngineApply(t *testing.T) {
	for _, c := range engineCases() {
		t.Run(c.name, func(t *testing.T) {
			var before *ledger.Request
			if c.in.Request != nil {
				copied := *c.in.Request
				before = &copied
			}
			out, ch := ledger.Engine{}.Apply(c.in)
			require.Equal(t, c.status, out.Status)
			require.Equal(t, c.released, out.Released)
			require.Equal(t, c.account, ch.Account)
			require.Equal(t, c.account.Balances(), out.Balances)
			require.Equal(t, c.postings, append([]ledger.Posting(nil), ch.Postings()...))
			require.Equal(t, c.tomb, ch.Tombstone)
			require.Equal(t, c.in.Account.Opened != ch.Account.Opened, ch.Opened)
			switch {
			case c.request == nil:
				require.False(t, ch.NewRequest || ch.RequestChanged)
			default:
				require.Equal(t, *c.request, ch.Request)
				require.Equal(t, c.in.Request == nil, ch.NewRequest)
				require.Equal(t, c.in.Request != nil, ch.RequestChanged)
				require.Equal(t, ch.Request.Record(), out.Record)
			}
			require.Equal(t, before, c.in.Request, "the input request is not changed")
			requireBalanced(t, c.in.Account, &ch)
		})
	}
}

// requireBalanced checks that ch's postings account for the change of the card's balance
// and held amount.
func requireBalanced(t *testing.T, before ledger.Account, ch *ledger.Changes) {
	t.Helper()
	balance, held := before.Balance, before.Held
	if !before.Opened {
		balance = 0 // an unopened account's balance is what its opening will post
	}
	for _, p := range ch.Postings() {
		require.Positive(t, p.Amount)
		require.NotEqual(t, p.From, p.To)
		for side, sign := range map[ledger.Party]bandeira.Amount{p.From: -1, p.To: 1} {
			switch side {
			case ledger.Card:
				balance += sign * p.Amount
			case ledger.Holds:
				held += sign * p.Amount
			}
		}
	}
	if !ch.Account.Opened {
		balance = ch.Account.Balance
	}
	require.Equal(t, ch.Account.Balance, balance, "card balance")
	require.Equal(t, ch.Account.Held, held, "held")
}

func TestEngineExpiry(t *testing.T) {
	g := ledger.Engine{HoldExpiry: time.Hour}
	t.Run("a hold is due exactly HoldExpiry after it was placed", func(t *testing.T) {
		r := hold(2_500, 2_500)
		require.False(t, g.Due(r, r.At+int64(time.Hour)-1))
		require.True(t, g.Due(r, r.At+int64(time.Hour)))
		require.Equal(t, r.At+int64(ledger.DefaultHoldExpiry), ledger.Engine{}.ExpiresAt(r.At))
	})
	t.Run("expiry releases what the hold still holds and resolves it", func(t *testing.T) {
		ch, ok := g.Expire(opened(9_000, 1_000), hold(2_500, 1_000))
		require.True(t, ok)
		require.Equal(t, []ledger.Posting{posting(ledger.PostExpire, ledger.Holds, ledger.Card, 1_000)}, ch.Postings())
		require.Equal(t, opened(10_000, 0), ch.Account)
		require.Equal(t, ledger.StateExpired, ch.Request.State)
		require.Zero(t, ch.Request.Open)
		require.True(t, ch.RequestChanged)
	})
	t.Run("a resolved hold or a debit does not expire", func(t *testing.T) {
		captured := hold(2_500, 2_500)
		captured.State = ledger.StateCaptured
		debit := hold(100, 100)
		debit.Kind = ledger.Debit
		for _, r := range []*ledger.Request{captured, debit} {
			ch, ok := g.Expire(opened(9_000, 0), r)
			require.False(t, ok)
			require.Empty(t, ch.Postings())
			require.False(t, g.Due(r, r.At+int64(48*time.Hour)))
		}
	})
}

func TestEnginePINTries(t *testing.T) {
	var g ledger.Engine
	t.Run("a wrong PIN opens the card and counts; a right one resets", func(t *testing.T) {
		n, ch := g.PINTry(ledger.NewAccount(ref), false)
		require.Equal(t, 1, n)
		require.True(t, ch.Opened && ch.PINChanged)
		require.Len(t, ch.Postings(), 1, "the opening posting")
		n, ch = g.PINTry(ch.Account, false)
		require.Equal(t, 2, n)
		n, ch = g.PINTry(ch.Account, true)
		require.Zero(t, n)
		require.True(t, ch.PINChanged)
		require.Zero(t, ch.Account.PINFailures)
	})
	t.Run("a right PIN on a card with no failures changes nothing", func(t *testing.T) {
		for _, a := range []ledger.Account{ledger.NewAccount(ref), opened(1, 0)} {
			n, ch := g.PINTry(a, true)
			require.Zero(t, n)
			require.False(t, ch.Opened || ch.PINChanged)
			require.Empty(t, ch.Postings())
		}
	})
}
