package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/bandeira/bandeira/internal/store"
)

// The tables, in the order of their Inserts. Every table keeps one JSON document per row,
// by id, and the sequence number that orders the activity; meta keeps counters (the last
// STAN, as its doc and its seq).
const (
	tableUsers = iota
	tableDevices
	tableChallenges
	tableCards
	tablePayments
	tableTransfers
	tableCharges
	tableIdempotency
	tableMeta
)

var tableNames = []string{"users", "devices", "challenges", "cards", "payments", "transfers", "charges", "idempotency", "meta"}

// metaSTAN is the meta row that keeps the last STAN the wallet used.
const metaSTAN = "stan"

// migrations are the wallet database's schema versions. A row is a whole document (the
// JSON of the Go type in model.go); there is no PAN, CVV2 or PIN in any of them: cards are
// tokens and PINs are slow salted hashes.
//
// Version 2 changes what a card's document holds, not the tables: its token number is
// sealed (sealed_token) instead of in clear (token). SQL cannot seal, so Open seals the
// version-1 rows it loads (sealLegacyTokens); the version number keeps a binary that only
// knows version 1, and would find no token, from opening the database.
var migrations = []string{schemaV1(), schemaV2}

const schemaV2 = `-- Version 2: card documents keep their token sealed; Open seals the version-1 rows.
UPDATE cards SET seq = seq WHERE 0;`

func schemaV1() string {
	var s string
	for _, t := range tableNames {
		s += fmt.Sprintf("CREATE TABLE %s (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL);\n", t)
	}
	return s
}

// newInserts returns the upsert of every table, in table order.
func newInserts() []*store.Insert {
	ins := make([]*store.Insert, len(tableNames))
	for i, t := range tableNames {
		head, tail := store.UpsertSQL(t, "id", []string{"id", "seq", "doc"})
		ins[i] = store.NewInsert(head, tail, 3)
	}
	return ins
}

// save stages v, the document id of table, in the current batch. w.mu must be held
// (inside Writer.Do). The document is encoded now, so later changes do not reach this
// batch.
func (w *Wallet) save(b *store.Batch[store.Upserts], table int, id string, seq int64, v any) {
	doc, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("wallet: encoding a %s row: %v", tableNames[table], err)) // plain structs always encode
	}
	b.Changes.Put(table, id, id, seq, string(doc))
}

// load reads every table into memory, in sequence order, and returns the cards whose rows
// still hold their token in clear (schema version 1).
func (w *Wallet) load(ctx context.Context, db *store.DB) ([]*card, error) {
	var legacy []*card
	for t, name := range tableNames {
		if err := w.loadTable(ctx, db, t, &legacy); err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return legacy, nil
}

// loadTable reads one table into memory.
func (w *Wallet) loadTable(ctx context.Context, db *store.DB, t int, legacy *[]*card) error {
	rows, err := db.W.QueryContext(ctx, "SELECT id, doc FROM "+tableNames[t]+" ORDER BY seq")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return err
		}
		if err := w.loadRow(t, id, doc, legacy); err != nil {
			return err
		}
	}
	return rows.Err()
}

// loadRow decodes one document into memory; a card whose row holds its token in clear is
// added to legacy.
func (w *Wallet) loadRow(table int, id string, doc []byte, legacy *[]*card) error {
	var seq int64
	var err error
	switch table {
	case tableUsers:
		u := &user{}
		if err = json.Unmarshal(doc, u); err == nil {
			w.addUser(u)
			seq = u.Seq
		}
	case tableDevices:
		d := &device{}
		if err = json.Unmarshal(doc, d); err == nil && d.Revoked.IsZero() {
			w.devices[d.ID] = d
		}
		seq = d.Seq
	case tableChallenges:
		c := &challenge{}
		if err = json.Unmarshal(doc, c); err == nil {
			w.challenges[c.ID], seq = c, c.Seq
		}
	case tableCards:
		c := &card{}
		if err = json.Unmarshal(doc, c); err != nil {
			return err
		}
		old, err := w.loadCardToken(c)
		if err != nil {
			return err
		}
		if old {
			*legacy = append(*legacy, c)
		}
		w.addCard(c)
		seq = c.Seq
	case tableMeta:
		if id == metaSTAN {
			w.stan, err = strconv.ParseInt(string(doc), 10, 64)
		}
		return err
	default:
		seq, err = w.loadMoney(table, doc)
	}
	w.seq = max(w.seq, seq)
	return err
}

// loadMoney decodes a payment, transfer, charge or idempotency document.
func (w *Wallet) loadMoney(table int, doc []byte) (int64, error) {
	switch table {
	case tablePayments:
		p := &payment{}
		err := json.Unmarshal(doc, p)
		w.addPayment(p)
		return p.Seq, err
	case tableTransfers:
		t := &transfer{}
		err := json.Unmarshal(doc, t)
		w.addTransfer(t)
		return t.Seq, err
	case tableCharges:
		c := &charge{}
		err := json.Unmarshal(doc, c)
		w.addCharge(c)
		return c.Seq, err
	default:
		k := &idempotency{}
		err := json.Unmarshal(doc, k)
		w.idem[k.ID] = k
		return k.Seq, err
	}
}
