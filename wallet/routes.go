package wallet

import (
	"context"
	"net/http"
)

// routes are the API's patterns and handlers. docs/wallet.md and openapi.json document
// each; a test keeps openapi.json and this table equal, status codes included.
func (a *api) routes() []route {
	return []route{
		{"GET /{$}", a.page("index.html")},
		{"GET /app.js", a.page("app.js")},
		{"GET /app.css", a.page("app.css")},
		{"GET /v1/openapi.json", a.openAPI},
		{"POST /v1/users", a.createUser},
		{"GET /v1/users", a.listUsers},
		{"GET /v1/users/{id}", a.getUser},
		{"PUT /v1/users/{id}/pin", a.setPIN},
		{"POST /v1/users/{id}/pin/reset", a.resetPIN},
		{"POST /v1/users/{id}/devices", a.registerDevice},
		{"GET /v1/users/{id}/devices", a.listDevices},
		{"DELETE /v1/users/{id}/devices/{device_id}", a.removeDevice},
		{"POST /v1/users/{id}/cards", a.addCard},
		{"GET /v1/users/{id}/cards", a.listCards},
		{"DELETE /v1/users/{id}/cards/{card_id}", a.removeCard},
		{"PUT /v1/users/{id}/default-card", a.setDefaultCard},
		{"GET /v1/users/{id}/activity", a.activity},
		{"POST /v1/challenges", a.challenge},
		{"GET /v1/merchants", a.merchants},
		{"GET /v1/merchants/{id}/catalog", a.catalog},
		{"POST /v1/payments", a.createPayment},
		{"GET /v1/payments/{id}", a.getPayment},
		{"POST /v1/transfers", a.createTransfer},
		{"GET /v1/transfers/{id}", a.getTransfer},
		{"POST /v1/charges", a.createCharge},
		{"GET /v1/charges/{id}", a.getCharge},
		{"POST /v1/charges/{id}/pay", a.payCharge},
		{"POST /v1/charges/{id}/cancel", a.cancelCharge},
	}
}

// detached is the context of a request that changes something: it keeps the request's
// values but not its cancellation, so a client that hangs up does not stop a payment
// half way (every step is bounded by the wallet's own timers).
func detached(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }

func (a *api) createUser(rw http.ResponseWriter, r *http.Request) {
	var in NewUser
	call, err := a.read(rw, r, "POST /v1/users", &in)
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.CreateUser(detached(r), call, in)
	a.answer(rw, r, http.StatusCreated, CreatedUser{UserView: v, Token: a.w.sessionToken(v.ID)}, err)
}

func (a *api) listUsers(rw http.ResponseWriter, r *http.Request) {
	if err := query(r, "phone"); err != nil {
		a.fail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, map[string][]UserView{"users": nonNil(a.w.Users(r.URL.Query().Get("phone")))})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *api) getUser(rw http.ResponseWriter, r *http.Request) {
	if err := a.w.authorize(r, r.PathValue("id")); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.User(r.PathValue("id"))
	a.answer(rw, r, http.StatusOK, v, err)
}

func (a *api) setPIN(rw http.ResponseWriter, r *http.Request) {
	var in SetPIN
	if _, err := a.readFor(rw, r, "PUT /v1/users/{id}/pin", &in); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.SetPIN(detached(r), r.PathValue("id"), in)
	a.answer(rw, r, http.StatusOK, v, err)
}

func (a *api) resetPIN(rw http.ResponseWriter, r *http.Request) {
	var in ResetPIN
	if _, err := a.readFor(rw, r, "POST /v1/users/{id}/pin/reset", &in); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.ResetPIN(detached(r), r.PathValue("id"), in)
	a.answer(rw, r, http.StatusOK, v, err)
}

func (a *api) registerDevice(rw http.ResponseWriter, r *http.Request) {
	var in NewDevice
	call, err := a.readFor(rw, r, "POST /v1/users/{id}/devices", &in)
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.RegisterDevice(detached(r), call, r.PathValue("id"), in)
	a.answer(rw, r, http.StatusCreated, v, err)
}

func (a *api) listDevices(rw http.ResponseWriter, r *http.Request) {
	if err := a.w.authorize(r, r.PathValue("id")); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.Devices(r.PathValue("id"))
	a.answer(rw, r, http.StatusOK, map[string][]DeviceView{"devices": v}, err)
}

func (a *api) addCard(rw http.ResponseWriter, r *http.Request) {
	var in NewCard
	call, err := a.readFor(rw, r, "POST /v1/users/{id}/cards", &in)
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.AddCard(detached(r), call, r.PathValue("id"), in)
	a.answer(rw, r, http.StatusCreated, v, err)
}

func (a *api) listCards(rw http.ResponseWriter, r *http.Request) {
	if err := a.w.authorize(r, r.PathValue("id")); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.Cards(r.PathValue("id"))
	a.answer(rw, r, http.StatusOK, map[string][]CardView{"cards": v}, err)
}

func (a *api) setDefaultCard(rw http.ResponseWriter, r *http.Request) {
	var in DefaultCard
	if _, err := a.readFor(rw, r, "PUT /v1/users/{id}/default-card", &in); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.SetDefaultCard(detached(r), r.PathValue("id"), in)
	a.answer(rw, r, http.StatusOK, v, err)
}

func (a *api) activity(rw http.ResponseWriter, r *http.Request) {
	if err := a.w.authorize(r, r.PathValue("id")); err != nil {
		a.fail(rw, r, err)
		return
	}
	if err := query(r, "limit", "cursor"); err != nil {
		a.fail(rw, r, err)
		return
	}
	limit, err := intParam(r, "limit")
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.Activity(r.PathValue("id"), limit, r.URL.Query().Get("cursor"))
	a.answer(rw, r, http.StatusOK, v, err)
}

func (a *api) challenge(rw http.ResponseWriter, r *http.Request) {
	var in NewChallenge
	call, err := a.read(rw, r, "POST /v1/challenges", &in)
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	if err := a.w.authorize(r, in.UserID); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.Challenge(detached(r), call, in)
	a.answer(rw, r, http.StatusCreated, v, err)
}

func (a *api) merchants(rw http.ResponseWriter, _ *http.Request) {
	writeJSON(rw, http.StatusOK, map[string][]MerchantView{"merchants": a.w.Merchants()})
}

func (a *api) catalog(rw http.ResponseWriter, r *http.Request) {
	v, err := a.w.Catalog(r.PathValue("id"))
	a.answer(rw, r, http.StatusOK, map[string][]Product{"products": v}, err)
}

func (a *api) createPayment(rw http.ResponseWriter, r *http.Request) {
	var in NewPayment
	call, err := a.read(rw, r, "POST /v1/payments", &in)
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	if err := a.w.authorize(r, in.UserID); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.CreatePayment(detached(r), call, in)
	a.answer(rw, r, http.StatusCreated, v, err)
}

func (a *api) getPayment(rw http.ResponseWriter, r *http.Request) {
	if err := a.w.authorize(r, a.w.paymentOwner(r.PathValue("id"))); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.Payment(r.PathValue("id"))
	a.answer(rw, r, http.StatusOK, v, err)
}

func (a *api) createTransfer(rw http.ResponseWriter, r *http.Request) {
	var in NewTransfer
	call, err := a.read(rw, r, "POST /v1/transfers", &in)
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	if err := a.w.authorize(r, in.FromUserID); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.CreateTransfer(detached(r), call, in)
	a.answer(rw, r, http.StatusCreated, v, err)
}

func (a *api) getTransfer(rw http.ResponseWriter, r *http.Request) {
	if err := a.w.authorize(r, a.w.transferOwners(r.PathValue("id"))...); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.Transfer(r.PathValue("id"))
	a.answer(rw, r, http.StatusOK, v, err)
}

func (a *api) createCharge(rw http.ResponseWriter, r *http.Request) {
	var in NewCharge
	call, err := a.read(rw, r, "POST /v1/charges", &in)
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.CreateCharge(detached(r), call, in)
	a.answer(rw, r, http.StatusCreated, v, err)
}

func (a *api) getCharge(rw http.ResponseWriter, r *http.Request) {
	v, err := a.w.Charge(r.PathValue("id"))
	a.answer(rw, r, http.StatusOK, v, err)
}

func (a *api) payCharge(rw http.ResponseWriter, r *http.Request) {
	var in PayCharge
	call, err := a.read(rw, r, "POST /v1/charges/{id}/pay", &in)
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	if err := a.w.authorize(r, in.UserID); err != nil {
		a.fail(rw, r, err)
		return
	}
	v, err := a.w.PayCharge(detached(r), call, r.PathValue("id"), in)
	a.answer(rw, r, http.StatusCreated, v, err)
}
