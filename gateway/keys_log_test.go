package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/internal/store"
)

func sampleKeyRows() []keyRow {
	a := keyRow{id: 7, at: time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC).UnixNano(),
		key: bandeira.Key{AcquirerID: "12345678901", TerminalID: "TERM0001", STAN: "000123", TransmissionTime: "1206140000"},
		fp:  fingerprint{class: '2', procCode: [6]byte{'0', '0', '0', '0', '0', '0'}, amount: 12345, pan: 0xfedcba9876543210},
		res: bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Issuer: "nubank", Brand: bandeira.Mastercard, Product: "credit"}}
	b := a
	b.id, b.fp.class, b.res = 8, classTombstone, bandeira.Result{Code: bandeira.DoNotHonour}
	c := a
	c.id, c.res.StandIn = 9, bandeira.StandInReason('2')
	return []keyRow{a, b, c}
}

func TestKeyRecordRoundTrip(t *testing.T) {
	for _, r := range sampleKeyRows() {
		got, err := decodeKeyRow(r.appendRecord(nil))
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
}

func TestKeyRecordRefusesWhatItCannotRead(t *testing.T) {
	rec := sampleKeyRows()[0].appendRecord(nil)
	for _, tc := range []struct {
		name string
		rec  []byte
	}{
		{"empty", nil},
		{"cut short", rec[:len(rec)-3]},
		{"fixed part only", rec[:41]},
		{"trailing bytes", append(append([]byte(nil), rec...), 0)},
		{"a string longer than the record", append(append([]byte(nil), rec[:42]...), 0xff, 0x01)},
	} {
		_, err := decodeKeyRow(tc.rec)
		require.Error(t, err, tc.name)
	}
	newer := append([]byte{keyRecordV1 + 1}, rec[1:]...)
	_, err := decodeKeyRow(newer)
	require.ErrorContains(t, err, "version 2")
}

func FuzzDecodeKeyRow(f *testing.F) {
	for _, r := range sampleKeyRows() {
		f.Add(r.appendRecord(nil))
	}
	f.Add([]byte{keyRecordV1})
	f.Fuzz(func(t *testing.T, rec []byte) {
		r, err := decodeKeyRow(rec)
		if err != nil {
			return
		}
		if r.res.StandIn != 0 && !r.res.StandIn.Valid() {
			return // kept as read; appendRecord writes only valid reasons back
		}
		require.Equal(t, rec, r.appendRecord(nil), "a record read back writes the same bytes")
	})
}

// TestDurableKeysMovesAnEarlierBuildsStore opens a data directory of a build that kept
// the keys in acquirer/keys.db: its keys of the window move into the log, and the database
// goes.
func TestDurableKeysMovesAnEarlierBuildsStore(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	legacy := KeysPath(dir) + ".db"
	db, err := store.Open(context.Background(), legacy, store.Config{Migrations: keysMigrations})
	require.NoError(t, err)
	rows := sampleKeyRows()
	rows[0].at = now.Add(-2 * time.Hour).UnixNano() // older than the window: not moved
	for _, r := range rows {
		standIn := ""
		if r.res.StandIn.Valid() {
			standIn = string(rune(r.res.StandIn))
		}
		_, err := db.W.Exec("INSERT INTO keys ("+keyColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			r.id, r.at, r.key.AcquirerID, r.key.TerminalID, r.key.STAN, r.key.TransmissionTime,
			string(rune(r.fp.class)), string(r.fp.procCode[:]), int64(r.fp.amount), int64(r.fp.pan),
			string(r.res.Code), r.res.AuthCode, r.res.Issuer, string(r.res.Brand), string(r.res.Product), standIn)
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())

	pans, err := seal.LoadOrCreateHasher(PANKeyPath(dir))
	require.NoError(t, err)
	open := func() *Keys {
		k, err := OpenKeys(context.Background(), KeysPath(dir), KeysOptions{PANHasher: pans, Window: time.Hour,
			Now: func() time.Time { return now }, Log: zerolog.New(zerolog.NewTestWriter(t))})
		require.NoError(t, err)
		return k
	}
	k := open()
	require.Equal(t, rows[1:], k.take())
	require.Equal(t, int64(10), k.nextID, "new keys are numbered after the moved ones")
	require.NoError(t, k.Close())
	for _, suffix := range []string{"", "-wal", "-shm"} {
		require.NoFileExists(t, legacy+suffix)
	}
	k = open()
	require.Equal(t, rows[1:], k.take(), "read back from the log")
	require.NoError(t, k.Close())
}

func TestDurableKeysDropSegmentsOlderThanTheWindow(t *testing.T) {
	keysSegmentBytes = 400 // about four keys a segment
	t.Cleanup(func() { keysSegmentBytes = 0 })
	d := newDurable(t)
	h := d.start()
	stan := 0
	approve := func(n int) {
		for range n {
			stan++
			a := purchase()
			a.STAN = fmt.Sprintf("%06d", stan)
			require.Equal(t, bandeira.Approved, authorizeOK(t, h, a).Code)
		}
	}
	approve(12)
	d.clock.Advance(2 * time.Hour) // the window is an hour: the first 12 keys are out of it
	approve(3)
	d.stop()
	before := len(segmentFiles(t, d.dir))
	require.Greater(t, before, 3)

	pans, err := seal.LoadOrCreateHasher(PANKeyPath(d.dir))
	require.NoError(t, err)
	k, err := OpenKeys(context.Background(), KeysPath(d.dir), KeysOptions{PANHasher: pans, Window: time.Hour,
		Now: d.clock.Now, Log: zerolog.New(zerolog.NewTestWriter(t))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.Close() })
	var stans []string
	for _, r := range k.take() {
		stans = append(stans, r.key.STAN)
	}
	require.Equal(t, []string{"13", "14", "15"}, stans) // normal form
	require.Less(t, len(segmentFiles(t, d.dir)), before-1, "the segments of only old keys are gone")
}

func segmentFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(KeysPath(dataDir), "*.log"))
	require.NoError(t, err)
	return files
}

func TestDurableKeysRefuseANewerBuildsRecords(t *testing.T) {
	d := newDurable(t)
	authorizeOK(t, d.start(), purchase())
	d.stop()
	seg := segmentFiles(t, d.dir)[0]
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	// A frame of one record of version 2: length, CRC-32C, payload.
	l, err := store.OpenLog(KeysPath(d.dir), store.LogOptions{}, nil)
	require.NoError(t, err)
	l.Add(func(p []byte) []byte { return append(p, keyRecordV1+1, 0) })
	require.NoError(t, l.Commit())
	require.NoError(t, l.Close())
	require.NotEqual(t, b, func() []byte { b, _ := os.ReadFile(seg); return b }())

	pans, err := seal.LoadOrCreateHasher(PANKeyPath(d.dir))
	require.NoError(t, err)
	_, err = OpenKeys(context.Background(), KeysPath(d.dir), KeysOptions{PANHasher: pans, Now: d.clock.Now})
	require.ErrorIs(t, err, ErrKeysIncompatible)
	require.ErrorContains(t, err, "version 2")
}

func TestNewestRowsKeepsTheNewestInOrder(t *testing.T) {
	for _, tc := range []struct{ limit, added int }{{0, 5}, {3, 0}, {3, 2}, {3, 3}, {3, 4}, {3, 7}, {3, 9}, {1, 4}} {
		n := newestRows{limit: tc.limit}
		for i := range tc.added {
			n.add(keyRow{id: int64(i)})
		}
		var got, want []int64
		for _, r := range n.rows() {
			got = append(got, r.id)
		}
		first := 0 // a limit of 0 keeps every row
		if tc.limit > 0 {
			first = max(0, tc.added-tc.limit)
		}
		for i := first; i < tc.added; i++ {
			want = append(want, int64(i))
		}
		require.Equal(t, want, got, "limit %d, %d added", tc.limit, tc.added)
	}
}
