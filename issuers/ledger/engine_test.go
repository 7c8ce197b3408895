package ledger_test

import (
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
	return []engineCase{
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
		{name: "a second reversal changes nothing",
			in:     ledger.Input{Entry: reverse, Account: opened(9_000, 1_000), Request: hold(2_500, 1_000), At: 3},
			status: ledger.StatusAlreadyReversed, account: opened(9_000, 1_000)},
		{name: "a reversal with no original opens the card and leaves a tombstone",
			in:     ledger.Input{Entry: reverse, Account: ledger.NewAccount(ref), At: 1},
			status: ledger.StatusNotFound, account: opened(10_000, 0),
			postings: []ledger.Posting{posting(ledger.PostOpen, ledger.Funding, ledger.Card, 10_000)}, tomb: true},
		{name: "a second reversal with no original leaves nothing more",
			in:     ledger.Input{Entry: reverse, Account: opened(10_000, 0), Tombstoned: true, At: 2},
			status: ledger.StatusNotFound, account: opened(10_000, 0)},
		{name: "a reversal of a declined request finds nothing to undo",
			in:     ledger.Input{Entry: reverse, Account: opened(10_000, 0), Request: declined, At: 2},
			status: ledger.StatusNotFound, account: opened(10_000, 0)},
		{name: "a reversal naming another card's request is a conflict",
			in:     ledger.Input{Entry: ledger.Entry{Ref: ledger.Ref{ID: other}, Kind: ledger.Reverse, Key: key("1")}, Account: ledger.Account{ID: other, Opened: true}, Request: hold(2_500, 2_500), At: 2},
			status: ledger.StatusConflict, account: ledger.Account{ID: other, Opened: true}},
		{name: "a refund reversal the card cannot cover is declined and changes nothing",
			in:     ledger.Input{Entry: reverse, Account: opened(200, 0), Request: credit, At: 2},
			status: ledger.StatusInsufficientFunds, account: opened(200, 0)},
		{name: "a capture settles what it captures and releases the rest",
			in:     ledger.Input{Entry: ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 1_800}, Account: opened(7_500, 2_500), Request: hold(2_500, 2_500), At: 2},
			status: ledger.StatusApplied, released: 700, account: opened(8_200, 0),
			postings: []ledger.Posting{posting(ledger.PostCapture, ledger.Holds, ledger.Settlement, 1_800), posting(ledger.PostRelease, ledger.Holds, ledger.Card, 700)},
			request:  &ledger.Request{Key: key("1"), Account: card, Kind: ledger.Hold, Amount: 2_500, Status: ledger.StatusApplied, AuthCode: "A1", State: ledger.StateCaptured, At: 1}},
		{name: "a capture of a debit is a conflict",
			in:     ledger.Input{Entry: ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 100}, Account: opened(6_000, 0), Request: debit, At: 2},
			status: ledger.StatusConflict, account: opened(6_000, 0)},
	}
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
