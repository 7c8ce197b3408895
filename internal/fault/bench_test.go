package fault

import (
	"context"
	"testing"

	"github.com/bandeira/bandeira"
)

// BenchmarkAuthorize measures what the decorator adds to a call: nothing set (the cost
// every request of a network pays), and a fault set that lets the call through.
func BenchmarkAuthorize(b *testing.B) {
	ctx := context.Background()
	var next bandeira.Authorizer = bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
		return bandeira.Result{Code: bandeira.Approved}, nil
	})
	b.Run("unwrapped", func(b *testing.B) { // through the interface, as a hop calls its callee
		b.ReportAllocs()
		for b.Loop() {
			_, _ = next.Authorize(ctx, bandeira.Authorization{})
		}
	})
	b.Run("no fault", func(b *testing.B) {
		a := NewRegistry(1, nil).Wrap("issuer:nubank", next)
		b.ReportAllocs()
		for b.Loop() {
			_, _ = a.Authorize(ctx, bandeira.Authorization{})
		}
	})
	b.Run("a drop that never draws true", func(b *testing.B) {
		r := NewRegistry(1, nil)
		a := r.Wrap("issuer:nubank", next)
		if err := r.Set("issuer:nubank", Fault{Drop: 1e-12}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			_, _ = a.Authorize(ctx, bandeira.Authorization{})
		}
	})
}
