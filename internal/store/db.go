package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Errors of the store.
var (
	// ErrNewerSchema reports a database whose schema a newer binary wrote: this one
	// cannot use it. Owners wrap it in their own "incompatible" error.
	ErrNewerSchema = errors.New("store: schema newer than this binary")
	// ErrInvalidConfig reports a Config that Open rejects.
	ErrInvalidConfig = errors.New("store: invalid config")
)

// The synchronous settings Config.Synchronous accepts (SQLite's PRAGMA synchronous).
const (
	// SyncFull fsyncs the write-ahead log on every commit: a commit that returned survives
	// power loss. It is the default.
	SyncFull = "full"
	// SyncNormal fsyncs only at checkpoints: commits survive kill -9 but not power loss.
	SyncNormal = "normal"
	// SyncOff never fsyncs. For measuring what durability costs.
	SyncOff = "off"
)

// Config says how Open opens a database.
type Config struct {
	// Synchronous is SyncFull (or ""), SyncNormal or SyncOff.
	Synchronous string
	// Migrations are the schema's versions in order, each a script run in one
	// transaction; PRAGMA user_version counts those applied. Never edit a released
	// migration: append a new one.
	Migrations []string
}

// DB is one database opened for a single writer: the writer's handle (one connection,
// which the Writer and the owner's loading at open use) and a read-only handle of one
// connection for lookups beside it. It is safe for concurrent use as database/sql is;
// Close closes both handles.
type DB struct {
	// Path is the database file.
	Path string
	// W is the writer's handle. Until a Writer runs on it the owner may load and seed
	// through it; afterwards only the Writer writes.
	W *sql.DB
	// R is the read-only handle, one connection: lookups of what the owner's cache no
	// longer holds. Under WAL it sees every committed transaction and never waits for
	// the writer.
	R *sql.DB
}

// Open opens (creating it and its directory, mode 0o750, if needed) the database at path,
// applies the migrations it has not seen and opens the read-only handle. A database that a
// newer binary migrated fails with ErrNewerSchema.
func Open(ctx context.Context, path string, cfg Config) (*DB, error) {
	sync, err := synchronous(cfg.Synchronous)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	w, err := sql.Open("sqlite", writerDSN(path, sync))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := migrate(ctx, w, cfg.Migrations); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	r, err := OpenReadOnly(path, 1)
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &DB{Path: path, W: w, R: r}, nil
}

// synchronous returns the setting s names, SyncFull for "", or ErrInvalidConfig.
func synchronous(s string) (string, error) {
	switch s {
	case "":
		return SyncFull, nil
	case SyncFull, SyncNormal, SyncOff:
		return s, nil
	}
	return "", fmt.Errorf("synchronous %q is not full, normal or off: %w", s, ErrInvalidConfig)
}

// Close closes the read-only handle, then the writer's (which checkpoints the log). Close
// the Writer first: it commits what is pending.
func (d *DB) Close() error {
	return errors.Join(d.R.Close(), d.W.Close())
}

// OpenReadOnly opens the database at path read-only with at most conns connections (at
// least 1): beside a running writer, for audits and reports, or on a database at rest. It
// never creates the file; the first query fails if there is none.
func OpenReadOnly(path string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return nil, fmt.Errorf("opening %s read-only: %w", path, err)
	}
	conns = max(conns, 1)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

// CheckSchema returns ErrNewerSchema (wrapped) when db has more migrations applied than
// migrations lists: a reader of this binary cannot trust what it would read.
func CheckSchema(ctx context.Context, db *sql.DB, migrations []string) error {
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this binary's %d: %w", v, len(migrations), ErrNewerSchema)
	}
	return nil
}

// migrate applies the migrations db has not seen, each in its own transaction.
func migrate(ctx context.Context, db *sql.DB, migrations []string) error {
	if err := CheckSchema(ctx, db, migrations); err != nil {
		return err
	}
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	for ; v < len(migrations); v++ {
		if err := migrateOne(ctx, db, migrations[v], v+1); err != nil {
			return fmt.Errorf("migrating to version %d: %w", v+1, err)
		}
	}
	return nil
}

func migrateOne(ctx context.Context, db *sql.DB, script string, version int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := setSchemaVersion(ctx, tx, version); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
