package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/internal/store"
)

var ctx = context.Background()

var testMigrations = []string{
	`CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);`,
	`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);`,
}

func mustOpen(t *testing.T, path string, migrations []string) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, path, store.Config{Synchronous: store.SyncOff, Migrations: migrations})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func version(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&v))
	return v
}

func TestOpen(t *testing.T) {
	t.Run("creates the directory and applies every migration once", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sub", "dir", "s.db")
		db := mustOpen(t, path, testMigrations[:1])
		require.Equal(t, 1, version(t, db.W))
		_, err := db.W.Exec("INSERT INTO items (id, v) VALUES (1, 10)")
		require.NoError(t, err)
		require.NoError(t, db.Close())

		db = mustOpen(t, path, testMigrations)
		require.Equal(t, 2, version(t, db.W), "only the new migration ran")
		var n int
		require.NoError(t, db.R.QueryRow("SELECT count(*) FROM items").Scan(&n))
		require.Equal(t, 1, n)
	})
	t.Run("refuses a database a newer binary migrated", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.db")
		require.NoError(t, mustOpen(t, path, testMigrations).Close())
		_, err := store.Open(ctx, path, store.Config{Migrations: testMigrations[:1]})
		require.ErrorIs(t, err, store.ErrNewerSchema)
		require.ErrorContains(t, err, "schema version 2 is newer than this binary's 1")
	})
	t.Run("a failed migration leaves the database at the version before it", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.db")
		bad := []string{testMigrations[0], `CREATE TABLE items (id INTEGER);`}
		_, err := store.Open(ctx, path, store.Config{Migrations: bad})
		require.ErrorContains(t, err, "migrating to version 2")
		db := mustOpen(t, path, testMigrations[:1])
		require.Equal(t, 1, version(t, db.W))
	})
	t.Run("refuses an unknown synchronous setting", func(t *testing.T) {
		_, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"), store.Config{Synchronous: "sometimes"})
		require.ErrorIs(t, err, store.ErrInvalidConfig)
	})
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := mustOpen(t, path, testMigrations)
	t.Run("the read-only handle beside the writer reads but cannot write", func(t *testing.T) {
		_, err := db.W.Exec("INSERT INTO items (id, v) VALUES (1, 10)")
		require.NoError(t, err)
		var v int
		require.NoError(t, db.R.QueryRow("SELECT v FROM items WHERE id = 1").Scan(&v))
		require.Equal(t, 10, v)
		_, err = db.R.Exec("INSERT INTO items (id, v) VALUES (2, 20)")
		require.ErrorContains(t, err, "readonly")
	})
	t.Run("a separate read-only handle checks the schema version", func(t *testing.T) {
		ro, err := store.OpenReadOnly(path, 2)
		require.NoError(t, err)
		defer func() { _ = ro.Close() }()
		require.NoError(t, store.CheckSchema(ctx, ro, testMigrations))
		require.ErrorIs(t, store.CheckSchema(ctx, ro, testMigrations[:1]), store.ErrNewerSchema)
	})
	t.Run("opening a missing file read-only fails at the first query and creates nothing", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "none.db")
		ro, err := store.OpenReadOnly(missing, 1)
		require.NoError(t, err)
		defer func() { _ = ro.Close() }()
		require.Error(t, ro.Ping())
		require.NoFileExists(t, missing)
	})
}
