package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/internal/store"
)

// openLog opens the log in dir and returns it with the records it read, as strings.
func openLog(t *testing.T, dir string, opts store.LogOptions) (*store.Log, []string) {
	t.Helper()
	var got []string
	l, err := store.OpenLog(dir, opts, func(_ int, rec []byte) error {
		got = append(got, string(rec))
		return nil
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l, got
}

// appendAll commits recs as one batch.
func appendAll(t *testing.T, l *store.Log, recs ...string) {
	t.Helper()
	for _, r := range recs {
		l.Add(func(b []byte) []byte { return append(b, r...) })
	}
	require.NoError(t, l.Commit())
}

// segments returns the segment files in dir.
func segments(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	require.NoError(t, err)
	return files
}

func TestLogReopens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	l, got := openLog(t, dir, store.LogOptions{})
	require.Empty(t, got)
	appendAll(t, l, "a", "bb")
	appendAll(t, l, "ccc")
	require.NoError(t, l.Close())

	l, got = openLog(t, dir, store.LogOptions{})
	require.Equal(t, []string{"a", "bb", "ccc"}, got)
	appendAll(t, l, "d")
	require.NoError(t, l.Close())
	_, got = openLog(t, dir, store.LogOptions{})
	require.Equal(t, []string{"a", "bb", "ccc", "d"}, got, "appends continue after the records read")
}

func TestLogCutsATornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		tail func(good []byte) []byte // what a crash left after the good records
	}{
		{"a frame header cut short", func([]byte) []byte { return []byte{0, 0, 0} }},
		{"a payload cut short", func([]byte) []byte { return []byte{0, 0, 0, 9, 1, 2, 3, 4, 'x'} }},
		{"a frame whose CRC does not match", func(good []byte) []byte {
			last := append([]byte(nil), good[len(good)-9:]...) // the frame of "e": 8 bytes of header, 1 of payload
			last[8] = 'f'
			return last
		}},
		{"zeros (a preallocated or unwritten page)", func([]byte) []byte { return make([]byte, 4096) }},
		{"a length beyond any record", func([]byte) []byte { return []byte{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 'x'} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "log")
			l, _ := openLog(t, dir, store.LogOptions{})
			appendAll(t, l, "abc", "d")
			appendAll(t, l, "e")
			require.NoError(t, l.Close())
			seg := segments(t, dir)[0]
			good, err := os.ReadFile(seg)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(seg, append(good, tc.tail(good)...), 0o600))

			l, got := openLog(t, dir, store.LogOptions{})
			require.Equal(t, []string{"abc", "d", "e"}, got)
			after, err := os.ReadFile(seg)
			require.NoError(t, err)
			require.Equal(t, good, after, "the torn tail is cut off")
			appendAll(t, l, "g")
			require.NoError(t, l.Close())
			_, got = openLog(t, dir, store.LogOptions{})
			require.Equal(t, []string{"abc", "d", "e", "g"}, got)
		})
	}
}

func TestLogRefusesDamageBeforeTheLastSegment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	l, _ := openLog(t, dir, store.LogOptions{SegmentBytes: 20})
	for i := range 6 {
		appendAll(t, l, fmt.Sprintf("record %d", i)) // 16 bytes a frame: a segment every two
	}
	require.NoError(t, l.Close())
	segs := segments(t, dir)
	require.Len(t, segs, 3) // a segment is begun when a batch finds the current one full
	b, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	b[len(b)-1] ^= 1
	require.NoError(t, os.WriteFile(segs[0], b, 0o600))

	_, err = store.OpenLog(dir, store.LogOptions{SegmentBytes: 20}, func(int, []byte) error { return nil })
	require.ErrorIs(t, err, store.ErrLogCorrupt)
	require.ErrorContains(t, err, "00000001.log")
}

func TestLogSegments(t *testing.T) {
	t.Run("KeepRecords deletes the oldest segments the newer ones make redundant", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		opts := store.LogOptions{SegmentBytes: 20, KeepRecords: 3}
		l, _ := openLog(t, dir, opts)
		for i := range 10 {
			appendAll(t, l, fmt.Sprintf("record %d", i))
		}
		require.NoError(t, l.Close())
		require.Len(t, segments(t, dir), 3, "the last rotation deleted the two oldest segments")
		l, got := openLog(t, dir, opts)
		require.Equal(t, []string{"record 4", "record 5", "record 6", "record 7", "record 8", "record 9"}, got)
		require.NoError(t, l.Close())
		_, got = openLog(t, dir, opts)
		require.Equal(t, []string{"record 6", "record 7", "record 8", "record 9"}, got,
			"opening deletes too: whole segments, the newest holding at least 3 records")
	})
	t.Run("without KeepRecords every segment stays until dropped, and Drop spares the current one", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		opts := store.LogOptions{SegmentBytes: 20}
		l, _ := openLog(t, dir, opts)
		for i := range 5 {
			appendAll(t, l, fmt.Sprintf("record %d", i))
		}
		require.Len(t, segments(t, dir), 3)
		require.NoError(t, l.Drop(1))
		require.Len(t, segments(t, dir), 2)
		require.NoError(t, l.Drop(1000))
		require.Len(t, segments(t, dir), 1, "the segment appended to stays")
		appendAll(t, l, "after")
		require.NoError(t, l.Close())
		_, got := openLog(t, dir, opts)
		require.Equal(t, []string{"record 4", "after"}, got)
	})
	t.Run("files that are not segments are left alone", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		require.NoError(t, os.MkdirAll(dir, 0o750))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "1.log"), []byte("x"), 0o600))
		l, got := openLog(t, dir, store.LogOptions{})
		require.Empty(t, got)
		appendAll(t, l, "a")
		require.FileExists(t, filepath.Join(dir, "README"))
		require.FileExists(t, filepath.Join(dir, "1.log"))
	})
}

func TestLogOptions(t *testing.T) {
	_, err := store.OpenLog(t.TempDir(), store.LogOptions{Synchronous: "sometimes"}, nil)
	require.ErrorIs(t, err, store.ErrInvalidConfig)
	for _, sync := range []string{store.SyncFull, store.SyncNormal, store.SyncOff} {
		dir := filepath.Join(t.TempDir(), "log")
		l, _ := openLog(t, dir, store.LogOptions{Synchronous: sync})
		appendAll(t, l, sync)
		require.NoError(t, l.Close())
		_, got := openLog(t, dir, store.LogOptions{Synchronous: sync})
		require.Equal(t, []string{sync}, got)
	}
}

func TestLogReadErrorStopsOpening(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	l, _ := openLog(t, dir, store.LogOptions{})
	appendAll(t, l, "a", "b")
	require.NoError(t, l.Close())
	bad := errors.New("not a record of mine")
	_, err := store.OpenLog(dir, store.LogOptions{}, func(int, []byte) error { return bad })
	require.ErrorIs(t, err, bad)
}

// TestWriterOverALog runs a Writer whose Write appends to a Log: calls return once their
// batch is in the log, and a failed write fails the Writer for good.
func TestWriterOverALog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	l, _ := openLog(t, dir, store.LogOptions{})
	var (
		mu   sync.Mutex
		fail atomic.Bool
	)
	w := store.NewWriter(nil, store.WriterConfig[[]string, []string]{
		Mu:   &mu,
		Take: func(c *[]string) []string { return *c },
		Write: func(rows []string) error {
			if fail.Load() {
				return errors.New("disk full")
			}
			for _, r := range rows {
				l.Add(func(b []byte) []byte { return append(b, r...) })
			}
			return l.Commit()
		},
		ErrFailed: errItemsFailed,
	})
	add := func(v string) error {
		bt, err := w.Do(func(b *store.Batch[[]string]) error {
			b.Changes = append(b.Changes, v)
			return nil
		})
		if err != nil {
			return err
		}
		return bt.Wait(t.Context())
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { require.NoError(t, add(fmt.Sprint(i))) })
	}
	wg.Wait()
	fail.Store(true)
	require.ErrorIs(t, add("lost"), errItemsFailed)
	require.ErrorIs(t, add("after"), errItemsFailed, "the Writer stays failed")
	require.NoError(t, w.Close())
	require.NoError(t, l.Close())

	_, got := openLog(t, dir, store.LogOptions{})
	require.Len(t, got, 50)
	require.ElementsMatch(t, func() []string {
		var want []string
		for i := range 50 {
			want = append(want, fmt.Sprint(i))
		}
		return want
	}(), got)
}
