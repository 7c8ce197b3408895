package gateway

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// fakeJournal records what the gateway journals; it fails when err is set.
type fakeJournal struct {
	mu      sync.Mutex
	entries []journaled
	err     error
}

type journaled struct {
	mti  bandeira.MTI
	proc string
	code bandeira.ResponseCode
	fee  bandeira.Fee
}

func (j *fakeJournal) Record(_ context.Context, a bandeira.Authorization, res bandeira.Result, fee bandeira.Fee) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	j.entries = append(j.entries, journaled{a.MTI, a.ProcessingCode, res.Code, fee})
	return nil
}

func (j *fakeJournal) recorded() []journaled {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]journaled(nil), j.entries...)
}

func newJournalHarness(t *testing.T) (*harness, *fakeJournal) {
	h := newHarness(t, nil)
	h.reg = prometheus.NewRegistry() // the harness's gateway registered on the old one
	j := &fakeJournal{}
	networks := map[bandeira.Brand]bandeira.Authorizer{bandeira.Visa: h.visa, bandeira.Mastercard: h.master}
	h.g = New(DefaultConfig(), networks, h.pricer, zerolog.New(zerolog.NewTestWriter(t)), NewMetrics(h.reg), h.clock.Now, WithJournal(j))
	return h, j
}

func TestJournalHook(t *testing.T) {
	cases := []struct {
		name    string
		mti     bandeira.MTI
		proc    string
		code    bandeira.ResponseCode
		fee     bool // journaled with the priced fee
		records bool
	}{
		{"an approved purchase is journaled with its fee", "0100", "000000", "00", true, true},
		{"an approved 0200 cash withdrawal is journaled with its fee", "0200", "010000", "00", true, true},
		{"an approved refund is journaled without a fee", "0200", "200000", "00", false, true},
		{"an approved reversal is journaled", "0400", "000000", "00", false, true},
		{"an approved reversal advice is journaled", "0420", "000000", "00", false, true},
		{"a declined purchase is not journaled", "0100", "000000", "51", false, false},
		{"an approved balance inquiry is journaled for the acquirer to ignore", "0100", "310000", "00", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, j := newJournalHarness(t)
			h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
				return bandeira.Result{Code: c.code, Product: bandeira.Credit}, nil
			}
			a := request(c.mti)
			a.ProcessingCode = c.proc
			require.Equal(t, c.code, authorizeOK(t, h, a).Code)
			got := j.recorded()
			if !c.records {
				require.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			require.Equal(t, c.mti, got[0].mti)
			if c.fee {
				require.Equal(t, bandeira.Fee{Gross: 1000, MDR: 20, Net: 980}, got[0].fee)
			} else {
				require.Equal(t, bandeira.Fee{}, got[0].fee)
			}
		})
	}
	t.Run("a sale that could not be priced is answered and not journaled", func(t *testing.T) {
		h, j := newJournalHarness(t)
		h.pricer.err = errors.New("acquirer: unknown brand")
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, purchase()).Code)
		require.Empty(t, j.recorded())
	})
	t.Run("an approval the journal could not record is answered with its error, not approved", func(t *testing.T) {
		h, j := newJournalHarness(t)
		j.err = errors.New("acquirer: journal failed")
		res, err := h.g.Authorize(context.Background(), purchase())
		require.ErrorIs(t, err, j.err)
		require.False(t, res.Code.Approved())
		require.Equal(t, bandeira.SystemMalfunction, bandeira.CodeForError(err))
		require.Equal(t, 1.0, metricValue(t, h.reg, "bandeira_gateway_journal_errors_total", nil))
	})
	t.Run("a retransmit replayed from the duplicate store is not journaled twice", func(t *testing.T) {
		h, j := newJournalHarness(t)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, purchase()).Code)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, purchase()).Code)
		require.Len(t, j.recorded(), 1)
	})
}
