package wallet

import (
	"net/http"

	"github.com/bandeira/bandeira/internal/store"
)

// Call is what an API request adds to an operation: the app it came from and its
// Idempotency-Key.
type Call struct {
	// App is the X-App header: whatsapp (default), messenger, instagram or facebook.
	App string
	// Scope is the route the request was made on, e.g. "POST /v1/payments": a key binds
	// within its route.
	Scope string
	// IdempotencyKey is the request's Idempotency-Key header; "" for none.
	IdempotencyKey string
	// Fingerprint is a hash of the request (route, app and body): a key reused with
	// another request is refused.
	Fingerprint string
}

func (c Call) idemID() string { return c.Scope + " " + c.IdempotencyKey }

// begin starts an idempotent operation. When the key was used before with the same
// request, it returns the kind and ID of the resource the first request made, to answer
// with again; the same key with another request is 422, and with a request still running
// 409. Otherwise it marks the key in flight until done is called.
func (w *Wallet) begin(call Call) (kind, resource string, done func(), err error) {
	done = func() {}
	if call.IdempotencyKey == "" {
		return "", "", done, nil
	}
	id := call.idemID()
	w.mu.Lock()
	defer w.mu.Unlock()
	if k, ok := w.idem[id]; ok {
		if k.Hash != call.Fingerprint {
			return "", "", done, newError(http.StatusUnprocessableEntity, "idempotency_key_reused",
				"this Idempotency-Key was used with another request")
		}
		return k.Kind, k.Resource, done, nil
	}
	if w.inFlight[id] {
		return "", "", done, newError(http.StatusConflict, "request_in_progress",
			"a request with this Idempotency-Key is still running: retry later")
	}
	w.inFlight[id] = true
	return "", "", func() {
		w.mu.Lock()
		delete(w.inFlight, id)
		w.mu.Unlock()
	}, nil
}

// bind records, in the batch that creates it, that call's key made resource. w.mu must be
// held.
func (w *Wallet) bind(b *store.Batch[store.Upserts], call Call, kind, resource string) {
	if call.IdempotencyKey == "" {
		return
	}
	k := &idempotency{ID: call.idemID(), Hash: call.Fingerprint, Kind: kind, Resource: resource, Seq: w.nextSeq()}
	w.idem[k.ID] = k
	w.save(b, tableIdempotency, k.ID, k.Seq, k)
}
