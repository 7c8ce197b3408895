package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MaxInsertRows is the most rows one INSERT statement writes; a batch with more takes
// several statements.
const MaxInsertRows = 64

// Insert is one table's multi-row INSERT: rows staged with Add are written by the Writer in
// its next commit, MaxInsertRows per statement, with a statement prepared once per row
// count. Only the Writer's goroutine (through WriterConfig.Stage) uses it.
type Insert struct {
	head, tail string
	cols       int
	stmts      map[int]*sql.Stmt
	args       []any // staged rows, row after row
}

// NewInsert returns the INSERT whose statements start with head (for example
// "INSERT INTO t (a, b) VALUES ") and end with tail (for example an ON CONFLICT clause, or
// ""), for rows of cols values.
func NewInsert(head, tail string, cols int) *Insert {
	return &Insert{head: head, tail: tail, cols: cols, stmts: make(map[int]*sql.Stmt)}
}

// Add stages one row: its values in the columns' order. A row of the wrong length fails
// the commit that would write it.
func (in *Insert) Add(vals ...any) { in.args = append(in.args, vals...) }

// Rows returns how many rows are staged.
func (in *Insert) Rows() int { return len(in.args) / in.cols }

// prepare makes sure the statements the staged rows need are prepared. It runs outside any
// transaction: the writer's handle has one connection, which a transaction holds.
func (in *Insert) prepare(ctx context.Context, db *sql.DB) error {
	if len(in.args)%in.cols != 0 {
		return fmt.Errorf("staging rows: %d values for rows of %d", len(in.args), in.cols)
	}
	count := in.Rows()
	for _, n := range []int{min(count, MaxInsertRows), count % MaxInsertRows} {
		if n == 0 || in.stmts[n] != nil {
			continue
		}
		st, err := db.PrepareContext(ctx, insertSQL(in.head, in.tail, in.cols, n))
		if err != nil {
			return fmt.Errorf("preparing a %d-row insert: %w", n, err)
		}
		in.stmts[n] = st
	}
	return nil
}

// exec writes the staged rows in tx, in chunks of MaxInsertRows.
func (in *Insert) exec(ctx context.Context, tx *sql.Tx) error {
	count := in.Rows()
	for done := 0; done < count; {
		n := min(count-done, MaxInsertRows)
		st := tx.StmtContext(ctx, in.stmts[n])
		_, err := st.ExecContext(ctx, in.args[done*in.cols:(done+n)*in.cols]...)
		_ = st.Close()
		if err != nil {
			return fmt.Errorf("inserting rows %d to %d of %d: %w", done+1, done+n, count, err)
		}
		done += n
	}
	return nil
}

// reset drops the staged rows, keeping the buffer but no reference to their values.
func (in *Insert) reset() {
	clear(in.args)
	in.args = in.args[:0]
}

func (in *Insert) close() error {
	var errs []error
	for _, st := range in.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}
