package wallet

import "net/http"

// The handlers of the routes that remove or cancel (removal.go).

func (a *api) removeCard(rw http.ResponseWriter, r *http.Request) {
	if err := a.w.authorize(r, r.PathValue("id")); err != nil {
		a.fail(rw, r, err)
		return
	}
	a.noContent(rw, r, a.w.RemoveCard(detached(r), r.PathValue("id"), r.PathValue("card_id")))
}

func (a *api) removeDevice(rw http.ResponseWriter, r *http.Request) {
	if err := a.w.authorize(r, r.PathValue("id")); err != nil {
		a.fail(rw, r, err)
		return
	}
	a.noContent(rw, r, a.w.RemoveDevice(detached(r), r.PathValue("id"), r.PathValue("device_id")))
}

func (a *api) cancelCharge(rw http.ResponseWriter, r *http.Request) {
	var in CancelCharge
	if _, err := a.read(rw, r, "POST /v1/charges/{id}/cancel", &in); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.CancelCharge(detached(r), r.PathValue("id"), in)
	a.answer(rw, r, http.StatusOK, v, err)
}

// noContent answers 204, or the error.
func (a *api) noContent(rw http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(http.StatusNoContent)
}
