package books

import (
	"github.com/bandeira/bandeira/internal/store"
)

// accountRow and requestRow are snapshots taken under the mutex, so that the writer never
// reads state that later batches are changing.
type accountRow struct {
	id, limit int64
	kind      uint8
	name      string
	pin       int
}

type requestRow struct {
	id, account, amount, open, at int64
	typ                           uint32
	key, authCode, code           string
	kind, status, state           uint8
	reversed, standIn             bool
}

// rows are what one batch writes.
type rows struct {
	accounts []accountRow
	requests []requestRow
	postings []posting
	tombs    []tombstone
}

// snapshot copies a batch's changed accounts and requests into rows (postings and
// tombstones are values already). It runs under the mutex.
func snapshot(c *changes) rows {
	out := rows{postings: c.postings, tombs: c.tombs}
	out.accounts = make([]accountRow, len(c.accounts))
	for i, a := range c.accounts {
		out.accounts[i] = accountRow{id: a.id, limit: int64(a.CreditLimit), kind: a.kind, name: cardName(a.ID),
			pin: a.PINFailures}
	}
	out.requests = make([]requestRow, len(c.requests))
	for i, r := range c.requests {
		out.requests[i] = requestRow{id: r.id, account: r.account.id, amount: int64(r.Amount),
			open: int64(r.Open), at: r.At, typ: r.Type, key: r.keyText, authCode: r.AuthCode, code: string(r.Code),
			kind: uint8(r.Kind), status: uint8(r.Status), state: uint8(r.State), reversed: r.Reversed,
			standIn: r.StandIn}
	}
	return out
}

// inserts are the books' four multi-row INSERTs, in the order a transaction writes them.
// Only the writer's goroutine uses them.
type inserts struct {
	account, request, posting, tomb *store.Insert
}

func newInserts() inserts {
	return inserts{
		account: store.NewInsert(`INSERT INTO accounts (id, kind, name, credit_limit, pin_failures) VALUES `,
			` ON CONFLICT (id) DO UPDATE SET pin_failures = excluded.pin_failures`, 5),
		request: store.NewInsert(`INSERT INTO requests (id, key, account_id, kind, type, amount, status, code, auth_code, open, state, reversed, stand_in, created_at) VALUES `,
			` ON CONFLICT (id) DO UPDATE SET open = excluded.open, state = excluded.state, reversed = excluded.reversed,
			status = excluded.status, code = excluded.code, auth_code = excluded.auth_code, stand_in = excluded.stand_in,
			created_at = excluded.created_at`, 14),
		posting: store.NewInsert(`INSERT INTO postings (id, request_id, kind, debit_id, credit_id, amount, at) VALUES `, ``, 7),
		tomb:    store.NewInsert(`INSERT INTO tombstones (key, account_id, at) VALUES `, ``, 3),
	}
}

func (in inserts) all() []*store.Insert {
	return []*store.Insert{in.account, in.request, in.posting, in.tomb}
}

// stage adds r's rows to the inserts, outside the mutex.
func (in inserts) stage(r rows) {
	for _, a := range r.accounts {
		in.account.Add(a.id, a.kind, a.name, a.limit, a.pin)
	}
	for _, q := range r.requests {
		in.request.Add(q.id, q.key, q.account, q.kind, q.typ, q.amount, q.status, q.code, q.authCode, q.open, q.state,
			q.reversed, q.standIn, q.at)
	}
	for _, p := range r.postings {
		var req any
		if p.requestID != 0 {
			req = p.requestID
		}
		in.posting.Add(p.id, req, uint8(p.kind), p.debit, p.credit, int64(p.amount), p.at)
	}
	for _, t := range r.tombs {
		in.tomb.Add(t.key, nil, t.at)
	}
}
