package gateway

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// Fictitious test BINs of the default BIN table (README.md, "Test cards").
const (
	visaBIN   = "40000101"
	masterBIN = "51000101"
)

// testPAN returns a Luhn-valid 16-digit PAN starting with bin.
func testPAN(bin string, serial int) bandeira.PAN {
	body := []byte(bin + "0000000000000000")[:15]
	for i := 14; serial > 0 && i >= len(bin); i-- {
		body[i] = byte('0' + serial%10)
		serial /= 10
	}
	return bandeira.PAN(string(body) + string(bandeira.LuhnCheckDigit(string(body))))
}

// purchase returns a well-formed 0100 purchase of R$ 10.00 on a Visa card.
func purchase() bandeira.Authorization {
	return bandeira.Authorization{
		MTI:              bandeira.MTIAuthorization,
		PAN:              testPAN(visaBIN, 1),
		ProcessingCode:   "000000",
		Amount:           1000,
		AmountPresent:    true,
		TransmissionTime: "0115103000",
		STAN:             "000001",
		Expiry:           "2812",
		RRN:              "501510000001",
		TerminalID:       "TERM0001",
		MerchantID:       "000000000000001",
		Currency:         bandeira.CurrencyBRL,
	}
}

// request returns a well-formed request of the given MTI.
func request(mti bandeira.MTI) bandeira.Authorization {
	switch {
	case mti.Class() == '4' || mti.Original() == bandeira.MTIFinancialAdvice:
		a := purchase()
		a.MTI, a.STAN, a.Expiry, a.MerchantID, a.Currency = mti, "000002", "", "", ""
		a.Original = &bandeira.OriginalData{MTI: "0100", STAN: "000001", TransmissionTime: "0115103000"}
		return a
	case mti.Class() == '8':
		return bandeira.Authorization{MTI: mti, TransmissionTime: "0115103000", STAN: "000003",
			NetworkCode: bandeira.Echo}
	}
	a := purchase()
	a.MTI = mti
	return a
}

// fakeNetwork is a network Authorizer that approves and counts its calls.
type fakeNetwork struct {
	calls atomic.Int64
	mu    sync.Mutex
	last  bandeira.Authorization
	fn    func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error)
}

func (f *fakeNetwork) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.last = a
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(ctx, a)
	}
	return bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Issuer: "bancodobrasil",
		Product: bandeira.Credit}, nil
}

func (f *fakeNetwork) lastRequest() bandeira.Authorization {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// fakeClock is an injectable clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeAcquirer records what the gateway asks it to book and fails when err is set.
type fakeAcquirer struct {
	mu    sync.Mutex
	calls []booked
	err   error
}

// booked is one Record call: the request and the response as the gateway passed them.
type booked struct {
	a   bandeira.Authorization
	res bandeira.Result
}

func (f *fakeAcquirer) Record(_ context.Context, a bandeira.Authorization, res bandeira.Result) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, booked{a, res})
	return f.err
}

func (f *fakeAcquirer) Calls() []booked {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]booked(nil), f.calls...)
}

// harness is a Gateway wired to fakes, a fresh registry and a fake clock.
type harness struct {
	t      testing.TB
	g      *Gateway
	reg    *prometheus.Registry
	visa   *fakeNetwork
	master *fakeNetwork
	acq    *fakeAcquirer
	clock  *fakeClock
	logs   *syncBuffer
}

// newHarness builds a harness; cfg edits DefaultConfig. Logs go to the test log and to a
// buffer the test can inspect.
func newHarness(tb testing.TB, edit func(*Config)) *harness {
	tb.Helper()
	return newHarnessWith(tb, edit)
}

// newHarnessWith is newHarness with options for the gateway.
func newHarnessWith(tb testing.TB, edit func(*Config), opts ...Option) *harness {
	tb.Helper()
	cfg := DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	require.NoError(tb, cfg.Validate())
	h := &harness{
		t: tb, reg: prometheus.NewRegistry(), visa: &fakeNetwork{}, master: &fakeNetwork{},
		acq: &fakeAcquirer{}, clock: newFakeClock(), logs: &syncBuffer{},
	}
	log := zerolog.New(zerolog.MultiLevelWriter(zerolog.NewTestWriter(tb), h.logs)).Level(zerolog.DebugLevel)
	networks := map[bandeira.Brand]bandeira.Authorizer{bandeira.Visa: h.visa, bandeira.Mastercard: h.master}
	h.g = New(cfg, networks, h.acq, log, NewMetrics(h.reg), h.clock.Now, opts...)
	return h
}

// fakeReversals records what the gateway enqueues, and fails when err is set.
type fakeReversals struct {
	mu     sync.Mutex
	queued []queued
	err    error
}

// queued is one Enqueue call.
type queued struct {
	queue string
	a     bandeira.Authorization
}

func (f *fakeReversals) Enqueue(_ context.Context, queue string, a bandeira.Authorization) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.queued = append(f.queued, queued{queue, a})
	return nil
}

func (f *fakeReversals) Queued() []queued {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]queued(nil), f.queued...)
}

func (h *harness) routed() int64 { return h.visa.calls.Load() + h.master.calls.Load() }

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func bandeiraMTI(s string) bandeira.MTI           { return bandeira.MTI(s) }
func bandeiraCode(s string) bandeira.ResponseCode { return bandeira.ResponseCode(s) }

// receive returns the next value from ch, failing the test instead of hanging when none
// arrives within a generous bound (the bound is a safety net, never an assertion on time).
func receive[T any](tb testing.TB, ch <-chan T) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		tb.Fatal("nothing received: the gateway did not do what the test waits for")
		var zero T
		return zero
	}
}
