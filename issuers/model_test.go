package issuers_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// modelCard is the test's own account model: what the bank's ledger should hold.
type modelCard struct {
	card           issuers.Card
	limit, balance bandeira.Amount
	holds          bandeira.Amount
	records        map[int]*modelRecord // by STAN
	owners         map[int]*modelCard   // every card's requests, approved or declined, by STAN
}

type modelRecord struct {
	kind ledger.Kind
	open bandeira.Amount
	req  bandeira.Authorization
}

func (m *modelCard) available() bandeira.Amount { return m.balance - m.holds + m.limit }

// apply runs one random operation through the model and returns the expected code.
func (m *modelCard) apply(rng *rand.Rand, stan int) (bandeira.Authorization, bandeira.ResponseCode) {
	amount := bandeira.Amount(1 + rng.IntN(300_000))
	ops := []struct {
		mti  bandeira.MTI
		proc string
		kind ledger.Kind
	}{
		{bandeira.MTIAuthorization, "000000", ledger.Hold}, {bandeira.MTIAuthorization, "010000", ledger.Hold},
		{bandeira.MTIFinancial, "000000", ledger.Debit}, {bandeira.MTIFinancial, "200000", ledger.Credit},
		{bandeira.MTIAuthorization, "200000", ledger.Credit},
	}
	if n := rng.IntN(10); n < len(ops) {
		op := ops[n]
		req := request(op.mti, op.proc, m.card, amount, stan)
		m.owners[stan] = m
		if op.kind != ledger.Credit && m.available() < amount {
			return req, bandeira.InsufficientFunds
		}
		switch op.kind {
		case ledger.Hold:
			m.holds += amount
		case ledger.Debit:
			m.balance -= amount
		case ledger.Credit:
			m.balance += amount
		}
		m.records[stan] = &modelRecord{kind: op.kind, open: amount, req: req}
		return req, bandeira.Approved
	}
	return m.reverse(rng, stan)
}

// reverse reverses a random earlier request, from m's card whatever card the original
// was on: the bank finds the original by key and acts on its account, bringing it down to
// min(amount in effect, field 95).
func (m *modelCard) reverse(rng *rand.Rand, stan int) (bandeira.Authorization, bandeira.ResponseCode) {
	orig := rng.IntN(stan + 1)
	owner := m.owners[orig]
	var r *modelRecord
	if owner != nil {
		r = owner.records[orig]
	}
	if r == nil { // no original, or a declined one: acknowledged, nothing changes
		return reversalOf(request(bandeira.MTIAuthorization, "000000", m.card, 1, orig), stan), bandeira.Approved
	}
	named := r.req
	named.PAN = m.card.PAN
	rev := reversalOf(named, stan)
	var keep bandeira.Amount
	if rng.IntN(2) == 0 {
		keep = bandeira.Amount(rng.Int64N(int64(r.req.Amount) + 1))
		rev.Replacement = &keep
	}
	keep = min(keep, r.open)
	release := r.open - keep
	switch r.kind {
	case ledger.Hold:
		owner.holds -= release
	case ledger.Debit:
		owner.balance += release
	case ledger.Credit:
		if owner.available() < release {
			return rev, bandeira.InsufficientFunds
		}
		owner.balance -= release
	}
	r.open = keep
	return rev, bandeira.Approved
}

func TestBankAgainstModel(t *testing.T) {
	t.Run("random operations keep the ledger equal to a model and its invariants intact", func(t *testing.T) {
		cfg := testConfig()
		mem := ledger.NewMemory()
		banks, err := issuers.New(cfg, nopLogger(), nil, fixedNow, issuers.WithLedger(mem))
		require.NoError(t, err)
		var cards []*modelCard
		owners := map[int]*modelCard{}
		for _, c := range []issuers.Card{card(t, cfg, "52600101", "", 1), card(t, cfg, "52600102", "", 1),
			card(t, cfg, "52600103", "", 1), card(t, cfg, "52600102", issuers.ScenarioInsufficientFunds, 0)} {
			m := &modelCard{card: c, records: map[int]*modelRecord{}, owners: owners, balance: c.Available}
			if c.Product == bandeira.Credit {
				m.limit, m.balance = c.Available, 0
			}
			cards = append(cards, m)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for stan := 1; stan <= 3_000; stan++ {
			m := cards[rng.IntN(len(cards))]
			req, want := m.apply(rng, stan)
			res := authorize(t, banks[issuers.Nubank], req)
			require.Equal(t, want, res.Code, "step %d %s %s", stan, req.MTI, req.ProcessingCode)
			require.NoError(t, mem.Audit(), "step %d", stan)
			if stan%50 == 0 {
				for _, m := range cards {
					require.Equal(t, bandeira.Balances{Ledger: m.balance, Available: m.available(), Currency: "986"}, balances(t, banks[issuers.Nubank], m.card))
				}
			}
		}
	})
}
