package fault

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// approver is the wrapped party: it approves and counts its calls.
type approver struct{ calls atomic.Int64 }

func (a *approver) Authorize(context.Context, bandeira.Authorization) (bandeira.Result, error) {
	a.calls.Add(1)
	return bandeira.Result{Code: bandeira.Approved, AuthCode: "000001"}, nil
}

// mustRegistry returns a registry with its metrics on a fresh Prometheus registry.
func mustRegistry(t *testing.T, seed uint64) (*Registry, *Metrics) {
	t.Helper()
	m := NewMetrics(prometheus.NewRegistry())
	return NewRegistry(seed, m), m
}

// value reads a gauge's or a counter's value (prometheus/testutil needs a module missing
// from go.sum).
func value(c prometheus.Metric) float64 {
	var out dto.Metric
	if err := c.Write(&out); err != nil {
		return -1
	}
	if g := out.GetGauge(); g != nil {
		return g.GetValue()
	}
	return out.GetCounter().GetValue()
}

func injected(m *Metrics, target Target, kind string) float64 {
	return value(m.Injected.WithLabelValues(string(target), kind))
}

func TestAuthorizerFaults(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		target  Target
		fault   Fault
		kind    string
		wantErr error                 // nil: an answer
		want    bandeira.ResponseCode // the answer's code
		issuer  string
		brand   bandeira.Brand
		reaches bool // the wrapped party is called
	}{
		{name: "an issuer down fails at once as unavailable", target: "issuer:nubank", fault: Fault{Down: true},
			kind: KindDown, wantErr: ErrDown},
		{name: "a network down fails at once as unavailable", target: "network:visa", fault: Fault{Down: true},
			kind: KindDown, wantErr: ErrDown},
		{name: "a link down fails as a cut link", target: "network:mastercard->issuer:nubank", fault: Fault{Down: true},
			kind: KindDown, wantErr: ErrLinkCut},
		{name: "an issuer's forced code is its answer", target: "issuer:nubank", fault: Fault{Code: "05"},
			kind: KindCode, want: "05", issuer: "nubank"},
		{name: "a network's forced code names the brand", target: "network:visa", fault: Fault{Code: "N7"},
			kind: KindCode, want: "N7", brand: "visa"},
		{name: "a link's forced code is the callee's answer", target: "gateway->network:mastercard", fault: Fault{Code: "96"},
			kind: KindCode, want: "96", brand: "mastercard"},
		{name: "a short latency delays, then the party decides", target: "issuer:sicredi", fault: Fault{Latency: time.Millisecond},
			kind: KindLatency, want: bandeira.Approved, reaches: true},
		{name: "a latency and a code delay, then answer the code", target: "issuer:sicredi",
			fault: Fault{Latency: time.Millisecond, Code: "51"}, kind: KindCode, want: "51", issuer: "sicredi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, m := mustRegistry(t, 1)
			next := &approver{}
			a := r.Wrap(c.target, next)
			require.NoError(t, r.Set(c.target, c.fault))
			res, err := a.Authorize(ctx, bandeira.Authorization{MTI: "0100"})
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
				require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
			} else {
				require.NoError(t, err)
				require.Equal(t, c.want, res.Code)
				require.Equal(t, c.issuer, res.Issuer)
				require.Equal(t, c.brand, res.Brand)
			}
			require.Equal(t, c.reaches, next.calls.Load() == 1, "whether the wrapped party was called")
			require.Equal(t, 1.0, injected(m, c.target, c.kind))
		})
	}
}

func TestForcedCodeAnswersRequestsOnly(t *testing.T) {
	for mti, forced := range map[bandeira.MTI]bool{
		"0100": true, "0101": true, "0200": true, "0201": true,
		"0120": false, "0121": false, "0220": false, "0400": false, "0401": false, "0420": false, "0421": false,
	} {
		name := "answers " + string(mti) + " with the forced code"
		if !forced {
			name = "lets " + string(mti) + " through to the party"
		}
		t.Run(name, func(t *testing.T) {
			r, m := mustRegistry(t, 1)
			next := &approver{}
			a := r.Wrap("issuer:nubank", next)
			require.NoError(t, r.Set("issuer:nubank", Fault{Code: "05"}))
			res, err := a.Authorize(context.Background(), bandeira.Authorization{MTI: mti})
			require.NoError(t, err)
			if forced {
				require.Equal(t, bandeira.ResponseCode("05"), res.Code)
				require.Zero(t, next.calls.Load())
				require.Equal(t, 1.0, injected(m, "issuer:nubank", KindCode))
				return
			}
			require.Equal(t, bandeira.Approved, res.Code)
			require.Equal(t, int64(1), next.calls.Load())
			require.Zero(t, injected(m, "issuer:nubank", KindCode))
		})
	}
}

func TestAuthorizerWaits(t *testing.T) {
	t.Run("a dropped request returns only when the caller's context ends", func(t *testing.T) {
		r, m := mustRegistry(t, 1)
		next := &approver{}
		a := r.Wrap("issuer:nubank", next)
		require.NoError(t, r.Set("issuer:nubank", Fault{Drop: 1}))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := a.Authorize(ctx, bandeira.Authorization{})
			done <- err
		}()
		require.Eventually(t, func() bool { return injected(m, "issuer:nubank", KindDrop) == 1 }, 10*time.Second, time.Millisecond)
		select {
		case err := <-done:
			t.Fatalf("a dropped request returned before its context ended: %v", err)
		default:
		}
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		require.Zero(t, next.calls.Load())
	})
	t.Run("a latency past the caller's deadline ends with the deadline", func(t *testing.T) {
		r, _ := mustRegistry(t, 1)
		next := &approver{}
		a := r.Wrap("issuer:nubank", next)
		require.NoError(t, r.Set("issuer:nubank", Fault{Latency: time.Hour}))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_, err := a.Authorize(ctx, bandeira.Authorization{})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
		require.Zero(t, next.calls.Load())
	})
}

func TestRegistryLive(t *testing.T) {
	r, m := mustRegistry(t, 1)
	next := &approver{}
	a := r.Wrap("issuer:nubank", next)
	call := func() (bandeira.ResponseCode, error) {
		res, err := a.Authorize(context.Background(), bandeira.Authorization{MTI: "0100"})
		return res.Code, err
	}
	active := func() float64 { return value(m.Active.WithLabelValues("issuer:nubank")) }

	t.Run("with no fault the call is the wrapped party's", func(t *testing.T) {
		code, err := call()
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, code)
		require.Zero(t, active())
		require.Empty(t, r.List())
	})
	t.Run("a fault set applies to the next call", func(t *testing.T) {
		require.NoError(t, r.Set("issuer:nubank", Fault{Down: true}))
		_, err := call()
		require.ErrorIs(t, err, ErrDown)
		require.Equal(t, 1.0, active())
	})
	t.Run("setting again replaces the fault", func(t *testing.T) {
		require.NoError(t, r.Set("issuer:nubank", Fault{Code: "05"}))
		code, err := call()
		require.NoError(t, err)
		require.Equal(t, bandeira.ResponseCode("05"), code)
		f, ok := r.Get("issuer:nubank")
		require.True(t, ok)
		require.Equal(t, Fault{Code: "05"}, f)
	})
	t.Run("an invalid fault or target changes nothing", func(t *testing.T) {
		require.Error(t, r.Set("issuer:nubank", Fault{Drop: 2}))
		require.Error(t, r.Set("bank:nubank", Fault{Down: true}))
		require.Equal(t, []Entry{{Target: "issuer:nubank", Fault: Fault{Code: "05"}}}, r.List())
	})
	t.Run("a cleared fault no longer applies", func(t *testing.T) {
		require.True(t, r.Clear("issuer:nubank"))
		require.False(t, r.Clear("issuer:nubank"), "clearing twice")
		code, err := call()
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, code)
		require.Zero(t, active())
		_, ok := r.Get("issuer:nubank")
		require.False(t, ok)
	})
	t.Run("clearing all clears every target and names them", func(t *testing.T) {
		require.NoError(t, r.Set("issuer:nubank", Fault{Down: true}))
		require.NoError(t, r.Set("network:visa->issuer:sicredi", Fault{Latency: time.Second}))
		require.Equal(t, []Target{"issuer:nubank", "network:visa->issuer:sicredi"}, r.ClearAll())
		require.Empty(t, r.List())
		require.False(t, r.Clear("network:visa"), "a target never set")
	})
}

func TestRegistryDraws(t *testing.T) {
	outcomes := func(t *testing.T, seed uint64, target Target, p float64, n int) []bool {
		r, _ := mustRegistry(t, seed)
		a := r.Wrap(target, &approver{})
		require.NoError(t, r.Set(target, Fault{Drop: p}))
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a dropped request returns at once
		out := make([]bool, n)
		for i := range out {
			_, err := a.Authorize(ctx, bandeira.Authorization{})
			out[i] = errors.Is(err, context.Canceled)
		}
		return out
	}
	count := func(xs []bool) (n int) {
		for _, x := range xs {
			if x {
				n++
			}
		}
		return n
	}
	t.Run("a drop probability drops about that share of many calls", func(t *testing.T) {
		for _, p := range []float64{0.01, 0.1, 0.5, 0.9, 1} {
			got := count(outcomes(t, 7, "issuer:nubank", p, 10000))
			require.InDelta(t, p*10000, got, 300, "drops at p=%v", p)
		}
	})
	t.Run("the same seed drops the same calls", func(t *testing.T) {
		require.Equal(t, outcomes(t, 7, "issuer:nubank", 0.3, 500), outcomes(t, 7, "issuer:nubank", 0.3, 500))
	})
	t.Run("another seed or target draws otherwise", func(t *testing.T) {
		require.NotEqual(t, outcomes(t, 7, "issuer:nubank", 0.3, 500), outcomes(t, 8, "issuer:nubank", 0.3, 500))
		require.NotEqual(t, outcomes(t, 7, "issuer:nubank", 0.3, 500), outcomes(t, 7, "issuer:sicredi", 0.3, 500))
	})
	t.Run("setting a fault again starts its draws over", func(t *testing.T) {
		r, _ := mustRegistry(t, 3)
		s := r.slot("issuer:nubank")
		f := Fault{Latency: 100 * time.Millisecond, Jitter: 50 * time.Millisecond}
		draw := func() (out []time.Duration) {
			require.NoError(t, r.Set("issuer:nubank", f))
			for range 100 {
				_, d := s.draw(&f)
				out = append(out, d)
			}
			return out
		}
		first := draw()
		require.Equal(t, first, draw())
		var sum time.Duration
		for _, d := range first {
			require.GreaterOrEqual(t, d, f.Latency)
			require.LessOrEqual(t, d, f.Latency+f.Jitter)
			sum += d
		}
		require.InDelta(t, float64(125*time.Millisecond), float64(sum/100), float64(10*time.Millisecond),
			"jitter is uniform: the mean delay is latency + jitter/2")
	})
}

func TestRegistryConcurrentUse(t *testing.T) {
	r, _ := mustRegistry(t, 1)
	a := r.Wrap("issuer:nubank", &approver{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = a.Authorize(ctx, bandeira.Authorization{})
			}
		})
	}
	for i := range 200 {
		switch i % 3 {
		case 0:
			require.NoError(t, r.Set("issuer:nubank", Fault{Drop: 0.5, Jitter: time.Microsecond}))
		case 1:
			r.Clear("issuer:nubank")
		default:
			_ = r.List()
		}
	}
	close(stop)
	wg.Wait()
}

func TestWrapRefusesAnInvalidTarget(t *testing.T) {
	r, _ := mustRegistry(t, 1)
	require.Panics(t, func() { r.Wrap("bank:nubank", &approver{}) })
}
