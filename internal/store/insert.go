package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// MaxInsertRows is the most rows one INSERT statement writes; a batch with more takes
// several statements.
const MaxInsertRows = 64

// Insert is one table's multi-row INSERT: rows staged with Add are written by the Writer in
// its next commit, MaxInsertRows per statement, with a statement prepared once per row
// count. Only the Writer's goroutine (through WriterConfig.Stage) uses it.
//
// The statements are the driver's own, prepared on the writer's connection and executed
// without database/sql (see Writer.commit): the values are converted as database/sql would
// (driver.DefaultParameterConverter: named integer and string types become int64 and
// string, a driver.Valuer its value).
type Insert struct {
	head, tail string
	cols       int
	stmts      map[int]driver.Stmt
	args       []any               // staged rows, row after row
	named      []driver.NamedValue // the arguments of one statement, reused
}

// NewInsert returns the INSERT whose statements start with head (for example
// "INSERT INTO t (a, b) VALUES ") and end with tail (for example an ON CONFLICT clause, or
// ""), for rows of cols values.
func NewInsert(head, tail string, cols int) *Insert {
	return &Insert{head: head, tail: tail, cols: cols, stmts: make(map[int]driver.Stmt)}
}

// Add stages one row: its values in the columns' order. A row of the wrong length fails
// the commit that would write it.
func (in *Insert) Add(vals ...any) { in.args = append(in.args, vals...) }

// Rows returns how many rows are staged.
func (in *Insert) Rows() int { return len(in.args) / in.cols }

// statements returns how many statements the staged rows take.
func (in *Insert) statements() int { return (in.Rows() + MaxInsertRows - 1) / MaxInsertRows }

// prepare makes sure the statements the staged rows need are prepared on c.
func (in *Insert) prepare(ctx context.Context, c driverConn) error {
	if len(in.args)%in.cols != 0 {
		return fmt.Errorf("staging rows: %d values for rows of %d", len(in.args), in.cols)
	}
	count := in.Rows()
	for _, n := range []int{min(count, MaxInsertRows), count % MaxInsertRows} {
		if n == 0 || in.stmts[n] != nil {
			continue
		}
		st, err := c.PrepareContext(ctx, insertSQL(in.head, in.tail, in.cols, n))
		if err != nil {
			return fmt.Errorf("preparing a %d-row insert: %w", n, err)
		}
		in.stmts[n] = st
	}
	return nil
}

// exec writes the staged rows on the connection the statements were prepared on, in
// chunks of MaxInsertRows.
func (in *Insert) exec(ctx context.Context) error {
	count := in.Rows()
	for done := 0; done < count; {
		n := min(count-done, MaxInsertRows)
		err := in.bind(in.args[done*in.cols : (done+n)*in.cols])
		if err == nil {
			err = execStmt(ctx, in.stmts[n], in.named)
		}
		if err != nil {
			return fmt.Errorf("inserting rows %d to %d of %d: %w", done+1, done+n, count, err)
		}
		done += n
	}
	return nil
}

// bind converts vals into the reused arguments of one statement.
func (in *Insert) bind(vals []any) error {
	in.named = in.named[:0]
	for i, v := range vals {
		switch v.(type) {
		case nil, int64, float64, bool, []byte, string:
		default:
			c, err := driver.DefaultParameterConverter.ConvertValue(v)
			if err != nil {
				return fmt.Errorf("converting value %d (%T): %w", i+1, v, err)
			}
			v = c
		}
		in.named = append(in.named, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return nil
}

// reset drops the staged rows, keeping the buffers but no reference to their values.
func (in *Insert) reset() {
	clear(in.args)
	in.args = in.args[:0]
	clear(in.named)
	in.named = in.named[:0]
}

// forget drops the prepared statements without closing them: their connection is gone.
func (in *Insert) forget() { clear(in.stmts) }

func (in *Insert) close() error {
	var errs []error
	for n, st := range in.stmts {
		errs = append(errs, st.Close())
		delete(in.stmts, n)
	}
	return errors.Join(errs...)
}
