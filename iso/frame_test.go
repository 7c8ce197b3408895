package iso_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/iso"
)

// countingWriter records every Write call separately.
type countingWriter struct{ writes [][]byte }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), nil
}

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		max     int
		want    []byte
		wantErr error
	}{
		{"returns the body of a well-formed frame", []byte("\x00\x03abcrest"), 8192, []byte("abc"), nil},
		{"accepts a body exactly at the maximum", []byte("\x00\x04abcd"), 4, []byte("abcd"), nil},
		{"rejects a zero length as an empty frame", []byte("\x00\x00abc"), 8192, nil, iso.ErrEmptyFrame},
		{"rejects a length above the maximum", []byte("\x00\x05abcde"), 4, nil, iso.ErrFrameTooLarge},
		{"rejects 0xFFFF under the default maximum", []byte("\xff\xff"), iso.DefaultMaxFrameSize, nil, iso.ErrFrameTooLarge},
		{"reports a clean end of stream before a header as EOF", nil, 8192, nil, io.EOF},
		{"reports a stream ending inside the header", []byte("\x00"), 8192, nil, io.ErrUnexpectedEOF},
		{"reports a stream ending inside the body", []byte("\x00\x0aabc"), 8192, nil, io.ErrUnexpectedEOF},
		{"treats a non-positive maximum as the 2-byte limit", []byte("\x00\x02ab"), 0, []byte("ab"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := iso.ReadFrame(bytes.NewReader(tt.in), nil, tt.max)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("reuses the caller's buffer when it is large enough", func(t *testing.T) {
		buf := make([]byte, 0, 16)
		got, err := iso.ReadFrame(bytes.NewReader([]byte("\x00\x03xyz")), buf, 8192)
		require.NoError(t, err)
		require.Equal(t, []byte("xyz"), got)
		require.Equal(t, &buf[:1][0], &got[0])
	})

	t.Run("reads consecutive frames from one stream", func(t *testing.T) {
		r := bytes.NewReader([]byte("\x00\x01a\x00\x02bc"))
		a, err := iso.ReadFrame(r, nil, 8192)
		require.NoError(t, err)
		b, err := iso.ReadFrame(r, nil, 8192)
		require.NoError(t, err)
		require.Equal(t, "a", string(a))
		require.Equal(t, "bc", string(b))
		_, err = iso.ReadFrame(r, nil, 8192)
		require.ErrorIs(t, err, io.EOF)
	})
}

func TestWriteFrame(t *testing.T) {
	t.Run("writes header and body in one Write call", func(t *testing.T) {
		var w countingWriter
		body := bytes.Repeat([]byte("9"), 300)
		require.NoError(t, iso.WriteFrame(&w, body))
		require.Len(t, w.writes, 1)
		require.Equal(t, []byte{0x01, 0x2c}, w.writes[0][:2])
		require.Equal(t, body, w.writes[0][2:])
	})

	t.Run("round-trips through ReadFrame", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, iso.WriteFrame(&buf, []byte("0800")))
		got, err := iso.ReadFrame(&buf, nil, 8192)
		require.NoError(t, err)
		require.Equal(t, "0800", string(got))
	})

	t.Run("handles a body larger than the pooled buffer", func(t *testing.T) {
		var buf bytes.Buffer
		body := bytes.Repeat([]byte("x"), iso.MaxFrameLimit)
		require.NoError(t, iso.WriteFrame(&buf, body))
		got, err := iso.ReadFrame(&buf, nil, iso.MaxFrameLimit)
		require.NoError(t, err)
		require.Equal(t, body, got)
	})

	t.Run("refuses an empty body and writes nothing", func(t *testing.T) {
		var w countingWriter
		require.ErrorIs(t, iso.WriteFrame(&w, nil), iso.ErrEmptyFrame)
		require.Empty(t, w.writes)
	})

	t.Run("refuses a body the 2-byte header cannot describe", func(t *testing.T) {
		var w countingWriter
		err := iso.WriteFrame(&w, make([]byte, iso.MaxFrameLimit+1))
		require.ErrorIs(t, err, iso.ErrFrameTooLarge)
		require.Empty(t, w.writes)
	})

	t.Run("wraps the writer's error", func(t *testing.T) {
		boom := errors.New("boom")
		err := iso.WriteFrame(failingWriter{boom}, []byte("x"))
		require.ErrorIs(t, err, boom)
	})
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("\x00\x03abc"), 8192)
	f.Add([]byte("\x00\x00"), 8192)
	f.Add([]byte("\xff\xff"), 8192)
	f.Add([]byte("\x00"), 16)
	f.Add([]byte("\x00\x10short"), 64)
	f.Add([]byte("\x00\x04abcd\x00\x01e"), 4)
	f.Fuzz(func(t *testing.T, in []byte, maxSize int) {
		limit := maxSize
		if limit <= 0 || limit > iso.MaxFrameLimit {
			limit = iso.MaxFrameLimit
		}
		body, err := iso.ReadFrame(bytes.NewReader(in), nil, maxSize)
		if err != nil {
			require.Nil(t, body)
			return
		}
		require.NotEmpty(t, body)
		require.LessOrEqual(t, cap(body), limit, "allocation must be bounded by the maximum")
		require.GreaterOrEqual(t, len(in)-2, len(body))
		require.Equal(t, int(in[0])<<8|int(in[1]), len(body))
		require.Equal(t, in[2:2+len(body)], body)
	})
}

func BenchmarkWriteFrame(b *testing.B) {
	b.ReportAllocs()
	body := bytes.Repeat([]byte("1"), 300)
	for b.Loop() {
		if err := iso.WriteFrame(io.Discard, body); err != nil {
			b.Fatal(err)
		}
	}
}
