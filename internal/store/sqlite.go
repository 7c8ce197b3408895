package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// This file holds everything specific to SQLite: the connection strings, the PRAGMAs,
// how the schema version is kept and how a multi-row INSERT is spelled. A store on
// another database (PostgreSQL) replaces this file and the owners' migrations.

// busyTimeoutMS is how long a connection waits for another's lock before failing.
const busyTimeoutMS = 5000

// writerDSN is the writer's connection string: WAL, the synchronous setting, foreign keys
// declared but not enforced (the owner's in-memory state keeps them and its audit checks
// them at rest; enforcing them would cost a lookup per row on the hot path), and
// immediate write transactions, so that a transaction takes the write lock when it
// begins instead of failing on upgrade.
func writerDSN(path, synchronous string) string {
	return fmt.Sprintf("file:%s?_pragma=journal_mode(WAL)&_pragma=synchronous(%s)&_pragma=busy_timeout(%d)"+
		"&_pragma=foreign_keys(OFF)&_txlock=immediate", path, synchronous, busyTimeoutMS)
}

// readOnlyDSN opens the file read-only: the handle cannot write whatever a caller does.
// Under WAL it reads the last committed state beside the writer without waiting for it.
func readOnlyDSN(path string) string {
	return fmt.Sprintf("file:%s?mode=ro&_pragma=busy_timeout(%d)", path, busyTimeoutMS)
}

// schemaVersion reads how many migrations the database has applied.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

// setSchemaVersion records, inside the migration's transaction, that v migrations are applied.
func setSchemaVersion(ctx context.Context, tx *sql.Tx, v int) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
	return err
}

// insertSQL spells a multi-row INSERT of rows rows: head, then rows tuples of cols
// placeholders, then tail.
func insertSQL(head, tail string, cols, rows int) string {
	tuple := "(?" + strings.Repeat(", ?", cols-1) + ")"
	return head + tuple + strings.Repeat(", "+tuple, rows-1) + tail
}

// upsertSQL spells an INSERT into table of cols that replaces, on a conflict on key, every
// other column with the new row's value (SQLite's UPSERT; PostgreSQL spells it alike).
func upsertSQL(table, key string, cols []string) (head, tail string) {
	head = "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	var set []string
	for _, c := range cols {
		if c != key {
			set = append(set, c+" = excluded."+c)
		}
	}
	return head, " ON CONFLICT (" + key + ") DO UPDATE SET " + strings.Join(set, ", ")
}
