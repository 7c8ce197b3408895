package store

// Upserts are the changes of one batch for an owner that keeps whole rows by key (a
// token vault, a wallet): each Put replaces the row of its table and key, and the last
// Put of a key in a batch is the one written, so a row changed twice in one batch is
// written once. Each table's Insert is an upsert (UpsertSQL). The zero value is empty and
// ready; it is not safe for concurrent use (the owner fills it under its mutex).
type Upserts struct {
	rows  map[upsertKey][]any
	order []upsertKey
}

type upsertKey struct {
	table int
	key   string
}

// Put stages the row of table (an index into the owner's Inserts) with key: its values in
// the columns' order, replacing any row of the same table and key staged before.
func (u *Upserts) Put(table int, key string, vals ...any) {
	if u.rows == nil {
		u.rows = make(map[upsertKey][]any)
	}
	k := upsertKey{table, key}
	if _, ok := u.rows[k]; !ok {
		u.order = append(u.order, k)
	}
	u.rows[k] = vals
}

// Len returns how many rows are staged.
func (u *Upserts) Len() int { return len(u.order) }

// Take returns the staged rows and leaves u empty: WriterConfig.Take for an owner whose
// changes are Upserts.
func (u *Upserts) Take() Upserts {
	out := *u
	*u = Upserts{}
	return out
}

// Stage adds the rows to inserts, each to its table's Insert, in the order they were
// first staged: WriterConfig.Stage for an owner whose changes are Upserts.
func (u Upserts) Stage(inserts []*Insert) {
	for _, k := range u.order {
		inserts[k.table].Add(u.rows[k]...)
	}
}

// UpsertSQL returns the head and tail of NewInsert for an upsert into table: a row whose
// key column already holds its key replaces the stored row's other columns.
func UpsertSQL(table, key string, cols []string) (head, tail string) {
	return upsertSQL(table, key, cols)
}
