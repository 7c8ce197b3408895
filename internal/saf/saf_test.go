package saf_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/internal/seal"
)

// childEnv makes the test binary enqueue into the store its value names and then wait to
// be killed.
const childEnv = "BANDEIRA_SAF_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		s := mustOpenAt(nil, dir, nil)
		for i := range 20 {
			if err := s.Enqueue(context.Background(), "gateway->network:visa", reversal(i)); err != nil {
				os.Exit(3)
			}
		}
		_, _ = os.Stdout.WriteString("enqueued\n")
		select {}
	}
	os.Exit(m.Run())
}

const pan = "4000010100000000"

// reversal is an 0400 of the i-th original, with card secrets that must never be stored.
func reversal(i int) bandeira.Authorization {
	return bandeira.Authorization{MTI: bandeira.MTIReversal, PAN: pan, ProcessingCode: "000000", Amount: 1000,
		AmountPresent: true, TransmissionTime: "1206120000", STAN: string(rune('0'+i/10)) + string(rune('0'+i%10)) + "0001",
		AcquirerID: "10000000001", TerminalID: "TERM0001", CVV2: "987", PINBlock: "0123456789ABCDEF",
		Original: &bandeira.OriginalData{MTI: bandeira.MTIAuthorization, STAN: "000001", TransmissionTime: "1206115959"}}
}

// deliverer records what it is sent and answers from answer.
type deliverer struct {
	mu     sync.Mutex
	got    []bandeira.Authorization
	answer func(n int) (bandeira.Result, error)
}

func (d *deliverer) Authorize(_ context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	d.mu.Lock()
	d.got = append(d.got, a)
	n := len(d.got)
	d.mu.Unlock()
	return d.answer(n)
}

func (d *deliverer) sent() []bandeira.Authorization {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]bandeira.Authorization(nil), d.got...)
}

func ack(int) (bandeira.Result, error) { return bandeira.Result{Code: bandeira.Approved}, nil }

func mustOpenAt(t *testing.T, dir string, m *saf.Metrics, opts ...func(*saf.Options)) *saf.Store {
	sealer, err := seal.LoadOrCreate(filepath.Join(dir, "saf.key"))
	if err != nil {
		panic(err)
	}
	o := saf.Options{Sealer: sealer, Metrics: m, BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		AttemptTimeout: time.Second}
	if t != nil {
		o.Log = zerolog.New(zerolog.NewTestWriter(t))
	}
	for _, f := range opts {
		f(&o)
	}
	s, err := saf.Open(context.Background(), filepath.Join(dir, "saf.db"), o)
	if err != nil {
		panic(err)
	}
	return s
}

func TestDelivery(t *testing.T) {
	ctx := context.Background()
	t.Run("delivers an item once it is acknowledged, and the queue drains", func(t *testing.T) {
		m := saf.NewMetrics(prometheus.NewRegistry())
		s := mustOpenAt(t, t.TempDir(), m)
		defer s.Close()
		d := &deliverer{answer: ack}
		s.Start("q", d)
		require.NoError(t, s.Enqueue(ctx, "q", reversal(1)))
		require.Eventually(t, func() bool {
			return s.Depth()["q"] == 0 && testutil.ToFloat64(m.Sent.WithLabelValues("q", "acknowledged")) == 1
		}, 5*time.Second, 5*time.Millisecond, "the queue empties before the attempt is counted: wait for both")
		require.Len(t, d.sent(), 1)
		require.Equal(t, bandeira.MTIReversal, d.sent()[0].MTI)
		require.Equal(t, 0.0, testutil.ToFloat64(m.Depth.WithLabelValues("q")))
	})
	t.Run("retries a message nobody decided on with the repeat MTI until it is answered", func(t *testing.T) {
		m := saf.NewMetrics(prometheus.NewRegistry())
		s := mustOpenAt(t, t.TempDir(), m)
		defer s.Close()
		d := &deliverer{answer: func(n int) (bandeira.Result, error) {
			switch n {
			case 1:
				return bandeira.Result{}, bandeira.ErrIssuerUnavailable
			case 2:
				return bandeira.Result{Code: bandeira.IssuerUnavailable}, nil
			case 3:
				return bandeira.Result{Code: bandeira.SystemMalfunction}, nil
			}
			return bandeira.Result{Code: bandeira.Approved}, nil
		}}
		s.Start("q", d)
		require.NoError(t, s.Enqueue(ctx, "q", reversal(1)))
		require.Eventually(t, func() bool { return s.Depth()["q"] == 0 }, 5*time.Second, 5*time.Millisecond)
		got := d.sent()
		require.Len(t, got, 4)
		require.Equal(t, []bandeira.MTI{"0400", "0401", "0401", "0401"}, []bandeira.MTI{got[0].MTI, got[1].MTI, got[2].MTI, got[3].MTI})
		require.Equal(t, 3.0, testutil.ToFloat64(m.Sent.WithLabelValues("q", "retried")))
	})
	t.Run("a final decline ends the item: it is refused, not retried", func(t *testing.T) {
		m := saf.NewMetrics(prometheus.NewRegistry())
		s := mustOpenAt(t, t.TempDir(), m)
		defer s.Close()
		d := &deliverer{answer: func(int) (bandeira.Result, error) { return bandeira.Result{Code: bandeira.InvalidTransaction}, nil }}
		s.Start("q", d)
		require.NoError(t, s.Enqueue(ctx, "q", reversal(1)))
		require.Eventually(t, func() bool {
			return s.Depth()["q"] == 0 && testutil.ToFloat64(m.Sent.WithLabelValues("q", "refused")) == 1
		}, 5*time.Second, 5*time.Millisecond, "the queue empties before the outcome is counted: wait for both")
		require.Len(t, d.sent(), 1)
	})
	t.Run("the stored message never holds the CVV2 or PIN block, nor the PAN in clear", func(t *testing.T) {
		dir := t.TempDir()
		s := mustOpenAt(t, dir, nil)
		d := &deliverer{answer: ack}
		require.NoError(t, s.Enqueue(ctx, "q", reversal(1)))
		require.NoError(t, s.Close())
		for _, name := range []string{"saf.db", "saf.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			require.NoError(t, err)
			require.False(t, bytes.Contains(b, []byte(pan)), "%s holds the PAN", name)
			require.False(t, bytes.Contains(b, []byte("0123456789ABCDEF")), "%s holds the PIN block", name)
		}
		s = mustOpenAt(t, dir, nil)
		defer s.Close()
		s.Start("q", d)
		require.Eventually(t, func() bool { return len(d.sent()) == 1 }, 5*time.Second, 5*time.Millisecond)
		a := d.sent()[0]
		require.Equal(t, bandeira.PAN(pan), a.PAN, "the PAN comes back unsealed")
		require.Empty(t, a.CVV2)
		require.Empty(t, a.PINBlock)
		require.Equal(t, bandeira.Key{AcquirerID: "10000000001", TerminalID: "TERM0001", STAN: "1", TransmissionTime: "1206115959"},
			a.OriginalKey())
	})
}

func TestEnqueueIsIdempotent(t *testing.T) {
	ctx := context.Background()
	t.Run("the same message enqueued again, or as its repeat, is queued and delivered once", func(t *testing.T) {
		dir := t.TempDir()
		s := mustOpenAt(t, dir, nil)
		rev := reversal(1)
		require.NoError(t, s.Enqueue(ctx, "q", rev))
		require.NoError(t, s.Enqueue(ctx, "q", rev))
		repeat := rev
		repeat.MTI = repeat.MTI.Repeat()
		require.NoError(t, s.Enqueue(ctx, "q", repeat))
		require.NoError(t, s.Enqueue(ctx, "other", rev), "another queue holds its own")
		require.NoError(t, s.Enqueue(ctx, "q", reversal(2)), "another key is another message")
		require.Equal(t, map[string]int{"q": 2, "other": 1}, s.Depth())
		require.NoError(t, s.Close())

		s = mustOpenAt(t, dir, nil)
		defer s.Close()
		require.NoError(t, s.Enqueue(ctx, "q", rev), "still waiting after a reopen")
		require.Equal(t, 2, s.Depth()["q"])
		d := &deliverer{answer: ack}
		s.Start("q", d)
		require.Eventually(t, func() bool { return s.Depth()["q"] == 0 }, 5*time.Second, 5*time.Millisecond)
		require.Len(t, d.sent(), 2)
		require.NoError(t, s.Enqueue(ctx, "q", rev), "once delivered, it may be owed again")
		require.Eventually(t, func() bool { return len(d.sent()) == 3 }, 5*time.Second, 5*time.Millisecond)
	})
	t.Run("concurrent enqueues of one message store it once", func(t *testing.T) {
		s := mustOpenAt(t, t.TempDir(), nil)
		defer s.Close()
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() { require.NoError(t, s.Enqueue(ctx, "q", reversal(3))) })
		}
		wg.Wait()
		require.Equal(t, 1, s.Depth()["q"])
	})
}

func TestDurability(t *testing.T) {
	ctx := context.Background()
	t.Run("items wait for their queue to start, and survive a reopen", func(t *testing.T) {
		dir := t.TempDir()
		s := mustOpenAt(t, dir, nil)
		require.NoError(t, s.Enqueue(ctx, "a", reversal(1)))
		require.NoError(t, s.Enqueue(ctx, "b", reversal(2)))
		require.Equal(t, map[string]int{"a": 1, "b": 1}, s.Depth())
		require.NoError(t, s.Close())
		pending, err := saf.Read(ctx, filepath.Join(dir, "saf.db"))
		require.NoError(t, err)
		require.Len(t, pending, 2)
		require.Equal(t, "10000000001/TERM0001/010001/1206120000", pending[0].Key)

		s = mustOpenAt(t, dir, nil)
		defer s.Close()
		d := &deliverer{answer: ack}
		s.Start("a", d)
		require.Eventually(t, func() bool { return s.Depth()["a"] == 0 }, 5*time.Second, 5*time.Millisecond)
		require.Equal(t, 1, s.Depth()["b"], "queue b has not started")
		require.Len(t, d.sent(), 1)
	})
	t.Run("every item enqueued before kill -9 is delivered after a restart", func(t *testing.T) {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run", "XXX")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		buf := make([]byte, 9)
		_, err = out.Read(buf)
		require.NoError(t, err, "the child did not enqueue")
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()

		s := mustOpenAt(t, dir, nil)
		defer s.Close()
		var delivered atomic.Int64
		s.Start("gateway->network:visa", &deliverer{answer: func(int) (bandeira.Result, error) {
			delivered.Add(1)
			return bandeira.Result{Code: bandeira.Approved}, nil
		}})
		require.Eventually(t, func() bool { return delivered.Load() == 20 }, 5*time.Second, 5*time.Millisecond)
		require.Eventually(t, func() bool { return s.Depth()["gateway->network:visa"] == 0 }, 5*time.Second, 5*time.Millisecond)
	})
	t.Run("an item older than the maximum age is dropped, counted and not sent again", func(t *testing.T) {
		var now atomic.Int64
		now.Store(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC).UnixNano())
		m := saf.NewMetrics(prometheus.NewRegistry())
		dir := t.TempDir()
		s := mustOpenAt(t, dir, m, func(o *saf.Options) {
			o.Now = func() time.Time { return time.Unix(0, now.Load()) }
			o.MaxAge = time.Hour
		})
		require.NoError(t, s.Enqueue(ctx, "q", reversal(1)))
		now.Add(int64(2 * time.Hour))
		d := &deliverer{answer: ack}
		s.Start("q", d)
		require.Eventually(t, func() bool {
			return testutil.ToFloat64(m.Sent.WithLabelValues("q", "expired")) == 1
		}, 5*time.Second, 5*time.Millisecond)
		require.Empty(t, d.sent())
		require.NoError(t, s.Close())
		pending, err := saf.Read(ctx, filepath.Join(dir, "saf.db"))
		require.NoError(t, err)
		require.Empty(t, pending)
	})
}

func TestCloseDuringAnAttempt(t *testing.T) {
	t.Run("stops a sender whose item is due again at once, keeping the item", func(t *testing.T) {
		dir := t.TempDir()
		s := mustOpenAt(t, dir, nil)
		called := make(chan struct{}, 1)
		d := &deliverer{answer: func(int) (bandeira.Result, error) { return bandeira.Result{}, bandeira.ErrIssuerUnavailable }}
		blocking := bandeira.AuthorizerFunc(func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			select {
			case called <- struct{}{}:
			default:
			}
			<-ctx.Done() // in flight until Close cancels it
			return d.Authorize(ctx, a)
		})
		s.Start("q", blocking)
		require.NoError(t, s.Enqueue(context.Background(), "q", reversal(1)))
		<-called
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		require.Eventually(t, func() bool {
			select {
			case err := <-closed:
				require.NoError(t, err)
				return true
			default:
				return false
			}
		}, 30*time.Second, 10*time.Millisecond, "Close never returned")
		again := mustOpenAt(t, dir, nil)
		defer again.Close()
		require.Equal(t, 1, again.Depth()["q"], "the item stays for the next start")
	})
}
