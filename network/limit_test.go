package network_test

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/network"
)

func TestLimit(t *testing.T) {
	t.Run("refuses at once beyond the limit and admits again once a request ends", func(t *testing.T) {
		release, entered := make(chan struct{}), make(chan struct{}, 3)
		stuck := bandeira.AuthorizerFunc(func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			entered <- struct{}{}
			<-release
			return bandeira.Result{Code: bandeira.Approved}, nil
		})
		m := network.NewLimitMetrics(prometheus.NewRegistry())
		l := network.Limit(bandeira.Visa, "nubank", stuck, 2, m)
		done := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := l.Authorize(context.Background(), bandeira.Authorization{})
				done <- err
			}()
		}
		<-entered
		<-entered
		require.Equal(t, 2.0, testutil.ToFloat64(m.InFlight.WithLabelValues("visa", "nubank")))
		_, err := l.Authorize(context.Background(), bandeira.Authorization{})
		require.ErrorIs(t, err, network.ErrIssuerBusy)
		require.True(t, errors.Is(err, bandeira.ErrOverloaded))
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err), "the edge answers 91")
		require.Equal(t, 1.0, testutil.ToFloat64(m.Shed.WithLabelValues("visa", "nubank")))
		close(release)
		require.NoError(t, <-done)
		require.NoError(t, <-done)
		res, err := l.Authorize(context.Background(), bandeira.Authorization{})
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Zero(t, testutil.ToFloat64(m.InFlight.WithLabelValues("visa", "nubank")))
	})
}
