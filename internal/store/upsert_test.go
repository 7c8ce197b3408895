package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/internal/store"
)

func TestUpserts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.db")
	db := mustOpen(t, path, []string{`CREATE TABLE rows (id TEXT PRIMARY KEY, v INTEGER NOT NULL, note TEXT NOT NULL)`})
	head, tail := store.UpsertSQL("rows", "id", []string{"id", "v", "note"})
	ins := store.NewInsert(head, tail, 3)
	var mu sync.Mutex
	w := store.NewWriter(db, store.WriterConfig[store.Upserts, store.Upserts]{
		Mu: &mu, Take: (*store.Upserts).Take, Stage: func(u store.Upserts) { u.Stage([]*store.Insert{ins}) },
		Inserts: []*store.Insert{ins},
	})
	t.Cleanup(func() { _ = w.Close() })
	put := func(rows ...[]any) {
		t.Helper()
		bt, err := w.Do(func(b *store.Batch[store.Upserts]) error {
			for _, r := range rows {
				b.Changes.Put(0, r[0].(string), r...)
			}
			return nil
		})
		require.NoError(t, err)
		require.NoError(t, bt.Wait(context.Background()))
	}
	read := func(id string) (v int, note string) {
		t.Helper()
		require.NoError(t, db.R.QueryRow("SELECT v, note FROM rows WHERE id = ?", id).Scan(&v, &note))
		return v, note
	}

	t.Run("a new key inserts its row", func(t *testing.T) {
		put([]any{"a", 1, "first"})
		v, note := read("a")
		require.Equal(t, 1, v)
		require.Equal(t, "first", note)
	})
	t.Run("a known key replaces its row's other columns", func(t *testing.T) {
		put([]any{"a", 2, "second"})
		v, note := read("a")
		require.Equal(t, 2, v)
		require.Equal(t, "second", note)
	})
	t.Run("the last row of a key in one batch wins and is written once", func(t *testing.T) {
		var u store.Upserts
		u.Put(0, "b", "b", 1, "x")
		u.Put(0, "c", "c", 1, "y")
		u.Put(0, "b", "b", 3, "z")
		require.Equal(t, 2, u.Len())
		put([]any{"b", 1, "x"}, []any{"c", 1, "y"}, []any{"b", 3, "z"})
		v, note := read("b")
		require.Equal(t, 3, v)
		require.Equal(t, "z", note)
		var n int
		require.NoError(t, db.R.QueryRow("SELECT count(*) FROM rows").Scan(&n))
		require.Equal(t, 3, n)
	})
	t.Run("Take leaves the batch empty", func(t *testing.T) {
		var u store.Upserts
		u.Put(0, "k", "k", 1, "n")
		got := u.Take()
		require.Equal(t, 1, got.Len())
		require.Zero(t, u.Len())
	})
}
