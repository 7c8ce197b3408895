package acquirer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// maxInsertRows is the most entries one multi-row INSERT writes; a larger batch takes
// several statements.
const maxInsertRows = 64

// entryInsert is the writer's multi-row INSERT into entries, prepared once per row count on
// first use. Only the writer goroutine uses it.
type entryInsert struct {
	tuple string            // "(?, ?, …)", one per row
	stmts map[int]*sql.Stmt // by row count
	args  []any             // the argument buffer, reused from batch to batch
}

func newEntryInsert() *entryInsert {
	return &entryInsert{tuple: "(?" + strings.Repeat(", ?", entryColumnCount-1) + ")", stmts: make(map[int]*sql.Stmt)}
}

// prepare makes sure the statements for count rows (in chunks of maxInsertRows) are
// prepared, outside any transaction.
func (in *entryInsert) prepare(ctx context.Context, db *sql.DB, count int) error {
	for _, n := range []int{min(count, maxInsertRows), count % maxInsertRows} {
		if n == 0 || in.stmts[n] != nil {
			continue
		}
		q := "INSERT INTO entries (" + entryColumns + ") VALUES " + in.tuple + strings.Repeat(", "+in.tuple, n-1)
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("preparing %d-row insert: %w", n, err)
		}
		in.stmts[n] = st
	}
	return nil
}

// exec writes entries in tx, up to maxInsertRows per statement.
func (in *entryInsert) exec(ctx context.Context, tx *sql.Tx, entries []Entry) error {
	args := in.args[:0]
	for i := range entries {
		args = appendEntryArgs(args, &entries[i])
	}
	defer func() {
		clear(args[:cap(args)]) // keep no strings alive between batches
		in.args = args[:0]
	}()
	for done := 0; done < len(entries); {
		n := min(len(entries)-done, maxInsertRows)
		st := tx.StmtContext(ctx, in.stmts[n])
		_, err := st.ExecContext(ctx, args[done*entryColumnCount:(done+n)*entryColumnCount]...)
		_ = st.Close()
		if err != nil {
			return fmt.Errorf("writing entries %d to %d: %w", entries[done].ID, entries[done+n-1].ID, err)
		}
		done += n
	}
	return nil
}

func (in *entryInsert) close() error {
	var errs []error
	for _, st := range in.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}
