package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Log is an append-only log of records in segment files, for a store that is only ever
// appended to while it runs and read whole when it opens (the gateway's durable keys): no
// SQL, no index, no B-tree, one write and one fdatasync per batch. Its Writer (a Writer
// whose WriterConfig.Write calls Add and Commit) is its only writer.
//
// On disk, a directory of segments named by a sequence number (00000001.log, …), each a
// run of frames: the payload's length (4 bytes, big-endian), its CRC-32C (4 bytes), the
// payload. Commit writes the batch's frames with one write(2) and, at SyncFull, fdatasyncs
// the segment before it returns, so a record committed survives power loss; at SyncNormal
// and SyncOff it only writes (the page cache survives kill -9, not power loss). A segment
// that reaches LogOptions.SegmentBytes is synced and closed, and the next one is created
// (and, at SyncFull, the directory synced, so the new file's name survives too).
//
// OpenLog reads every segment: a frame that is cut short, or whose CRC does not match, at
// the end of the last segment is a write that a crash interrupted (never acknowledged,
// since Commit returns after the sync), and the segment is truncated there; anywhere else
// it is damage, and OpenLog fails with ErrLogCorrupt rather than skip records that were
// acknowledged.
type Log struct {
	dir      string
	sync     string
	maxBytes int64
	keep     int

	segs []logSegment // oldest first; the last one is f
	f    *os.File
	size int64 // bytes in f
	buf  []byte
	n    int // records in buf
}

// logSegment is one segment file and the records it holds.
type logSegment struct {
	seq     int
	records int
}

// ErrLogCorrupt reports a damaged frame before the end of a log: records after it would
// be lost if it were skipped.
var ErrLogCorrupt = errors.New("store: log corrupt")

// LogOptions are the settings of OpenLog.
type LogOptions struct {
	// Synchronous is SyncFull (or ""), SyncNormal or SyncOff, as Config's.
	Synchronous string
	// SegmentBytes is the size at which a segment is closed and the next begun; 0 means
	// 64 MiB.
	SegmentBytes int64
	// KeepRecords, when positive, bounds what the log keeps: when a segment is closed,
	// the oldest segments are deleted as long as the newer ones still hold at least
	// KeepRecords records. 0 keeps every segment (the owner may Drop them).
	KeepRecords int
}

// DefaultSegmentBytes is the size of a segment when LogOptions.SegmentBytes is 0.
const DefaultSegmentBytes = 64 << 20

// maxRecordBytes bounds one record: a longer length in a frame is damage, not a record.
const maxRecordBytes = 1 << 20

const frameHeader = 8 // length and CRC

// maxKeptBuffer is the largest batch buffer a Log keeps for the next batch.
const maxKeptBuffer = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// OpenLog opens the log in dir, creating dir (mode 0o750) and its first segment if
// needed, reads every record with read (oldest first; seq is the record's segment; rec is
// valid only during the call, so read copies what it keeps) and leaves the log ready to
// append. A read error stops the opening and is returned.
func OpenLog(dir string, opts LogOptions, read func(seq int, rec []byte) error) (*Log, error) {
	sync, err := synchronous(opts.Synchronous)
	if err != nil {
		return nil, fmt.Errorf("opening the log %s: %w", dir, err)
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("opening the log %s: %w", dir, err)
	}
	l := &Log{dir: dir, sync: sync, maxBytes: opts.SegmentBytes, keep: opts.KeepRecords}
	seqs, err := l.list()
	if err != nil {
		return nil, err
	}
	for i, seq := range seqs {
		n, size, err := l.scan(seq, i == len(seqs)-1, read)
		if err != nil {
			return nil, err
		}
		l.segs = append(l.segs, logSegment{seq: seq, records: n})
		l.size = size
	}
	if len(l.segs) == 0 {
		if err := l.create(1); err != nil {
			return nil, err
		}
		return l, nil
	}
	if err := l.trim(); err != nil {
		return nil, err
	}
	last := l.segs[len(l.segs)-1].seq
	f, err := os.OpenFile(l.path(last), os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the log %s: %w", dir, err)
	}
	if _, err := f.Seek(l.size, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("opening the log %s: %w", dir, err)
	}
	l.f = f
	return l, nil
}

// path returns the file of segment seq.
func (l *Log) path(seq int) string { return filepath.Join(l.dir, fmt.Sprintf("%08d.log", seq)) }

// list returns the sequence numbers of the segments in the directory, in order. Other
// files are left alone.
func (l *Log) list() ([]int, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("opening the log %s: %w", l.dir, err)
	}
	var seqs []int
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok || len(name) != 8 || e.IsDir() {
			continue
		}
		seq, err := strconv.Atoi(name)
		if err != nil || seq <= 0 {
			continue
		}
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	return seqs, nil
}

// scan reads segment seq's records with read and returns their count and the segment's
// size. In the last segment a damaged tail is cut off; elsewhere it is ErrLogCorrupt. It
// reads through a small buffer, so that opening takes memory for a record, not a segment;
// the rec read is given is valid only during the call.
func (l *Log) scan(seq int, last bool, read func(seq int, rec []byte) error) (n int, size int64, err error) {
	f, err := os.Open(l.path(seq))
	if err != nil {
		return 0, 0, fmt.Errorf("reading the log %s: %w", l.dir, err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("reading the log %s: %w", l.dir, err)
	}
	r := bufio.NewReaderSize(f, 1<<16)
	var off int64
	var rec []byte
	for {
		var ok bool
		rec, ok, err = nextFrame(r, rec)
		if err != nil {
			return 0, 0, fmt.Errorf("reading the log %s: %w", l.path(seq), err)
		}
		if !ok {
			break
		}
		if read != nil {
			if err := read(seq, rec); err != nil {
				return 0, 0, err
			}
		}
		n++
		off += frameHeader + int64(len(rec))
	}
	if off == st.Size() {
		return n, off, nil
	}
	if !last {
		return 0, 0, fmt.Errorf("segment %s: damaged frame at byte %d of %d: %w", l.path(seq), off, st.Size(), ErrLogCorrupt)
	}
	// A write cut short by a crash: never acknowledged. Cut it off before appending.
	if err := os.Truncate(l.path(seq), off); err != nil {
		return 0, 0, fmt.Errorf("cutting the torn tail of %s: %w", l.path(seq), err)
	}
	return n, off, nil
}

// nextFrame reads the next frame from r into buf and returns its payload, or false when
// there is no whole frame with a matching CRC there (the end, a torn tail or damage). Only
// a read error other than the end of the file is an error.
func nextFrame(r *bufio.Reader, buf []byte) ([]byte, bool, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return buf, false, eofIsEnd(err)
	}
	size := binary.BigEndian.Uint32(h[:])
	if size == 0 || size > maxRecordBytes {
		return buf, false, nil
	}
	buf = slices.Grow(buf[:0], int(size))[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		return buf, false, eofIsEnd(err)
	}
	if crc32.Checksum(buf, castagnoli) != binary.BigEndian.Uint32(h[4:]) {
		return buf, false, nil
	}
	return buf, true, nil
}

// eofIsEnd returns nil for the end of a file, whole or in the middle of a frame.
func eofIsEnd(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// Add frames one record into the pending batch: enc appends the record's bytes to the
// slice it is given and returns it. Only the log's Writer calls it.
func (l *Log) Add(enc func(b []byte) []byte) {
	start := len(l.buf)
	l.buf = append(l.buf, make([]byte, frameHeader)...)
	l.buf = enc(l.buf)
	rec := l.buf[start+frameHeader:]
	binary.BigEndian.PutUint32(l.buf[start:], uint32(len(rec)))
	binary.BigEndian.PutUint32(l.buf[start+4:], crc32.Checksum(rec, castagnoli))
	l.n++
}

// Commit begins the next segment if the current one is full, then writes the pending
// batch with one write and, at SyncFull, fdatasyncs it. An error means the batch is not
// durable (a batch that is never fails nothing: the next segment is begun before, not
// after). The batch may then be partly written: the log must not be appended to again
// (the Writer fails for good), and the next OpenLog cuts off what a crash left of it.
func (l *Log) Commit() error {
	if len(l.buf) == 0 {
		return nil
	}
	defer func() {
		l.buf, l.n = l.buf[:0], 0
		if cap(l.buf) > maxKeptBuffer {
			l.buf = nil // an unusually large batch: do not keep its buffer for good
		}
	}()
	if l.f == nil || l.size >= l.maxBytes {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	if _, err := l.f.Write(l.buf); err != nil {
		return fmt.Errorf("appending to the log %s: %w", l.dir, err)
	}
	if l.sync == SyncFull {
		if err := fdatasync(l.f); err != nil {
			return fmt.Errorf("syncing the log %s: %w", l.dir, err)
		}
	}
	l.size += int64(len(l.buf))
	l.segs[len(l.segs)-1].records += l.n
	return nil
}

// rotate closes the full segment (if a failed rotation has not already) and begins the
// next, then applies KeepRecords: a segment it cannot delete stays, to be tried again at
// the next rotation, and fails nothing.
func (l *Log) rotate() error {
	if l.f != nil {
		if l.sync != SyncOff {
			if err := fdatasync(l.f); err != nil {
				return fmt.Errorf("syncing the log %s: %w", l.dir, err)
			}
		}
		if err := l.f.Close(); err != nil {
			return fmt.Errorf("closing a segment of the log %s: %w", l.dir, err)
		}
		l.f = nil
	}
	if err := l.create(l.segs[len(l.segs)-1].seq + 1); err != nil {
		return err
	}
	_ = l.trim()
	return nil
}

// trim deletes the oldest segments as long as the newer ones hold KeepRecords records.
func (l *Log) trim() error {
	if l.keep <= 0 {
		return nil
	}
	held, drop := 0, 0
	for i := len(l.segs) - 1; i >= 0; i-- {
		if held >= l.keep {
			drop = l.segs[i].seq
			break
		}
		held += l.segs[i].records
	}
	return l.Drop(drop)
}

// create creates segment seq, empty, and makes it the one appended to.
func (l *Log) create(seq int) error {
	f, err := os.OpenFile(l.path(seq), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("creating a segment of the log %s: %w", l.dir, err)
	}
	if l.sync == SyncFull {
		if err := syncDir(l.dir); err != nil {
			_ = f.Close()
			return err
		}
	}
	l.f, l.size = f, 0
	l.segs = append(l.segs, logSegment{seq: seq})
	return nil
}

// Drop deletes the segments up to seq, never the one appended to. Records in them are
// gone for good.
func (l *Log) Drop(seq int) error {
	var errs []error
	kept := l.segs[:0]
	for i, s := range l.segs {
		if s.seq <= seq && i < len(l.segs)-1 {
			if err := os.Remove(l.path(s.seq)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
				kept = append(kept, s)
			}
			continue
		}
		kept = append(kept, s)
	}
	l.segs = kept
	if len(errs) > 0 {
		return fmt.Errorf("dropping segments of the log %s: %w", l.dir, errors.Join(errs...))
	}
	return nil
}

// Close syncs the segment appended to (unless SyncOff) and closes it. Pending records not
// committed are dropped.
func (l *Log) Close() error {
	if l.f == nil {
		return nil
	}
	var err error
	if l.sync != SyncOff {
		err = fdatasync(l.f)
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
	if err != nil {
		return fmt.Errorf("closing the log %s: %w", l.dir, err)
	}
	return nil
}

// syncDir fsyncs a directory, so that the names created or removed in it survive power
// loss.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing the directory %s: %w", dir, err)
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
