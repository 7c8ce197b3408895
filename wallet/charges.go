package wallet

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// NewCharge is the body of POST /v1/charges: a bill a merchant sends to a phone in the
// chat.
type NewCharge struct {
	MerchantID  string          `json:"merchant_id"`
	ToPhone     string          `json:"to_phone"`
	Amount      bandeira.Amount `json:"amount"`
	Description string          `json:"description"`
}

// PayCharge is the body of POST /v1/charges/{id}/pay.
type PayCharge struct {
	UserID       string        `json:"user_id"`
	CardID       string        `json:"card_id"`
	Installments *int          `json:"installments"`
	Confirmation *Confirmation `json:"confirmation"`
}

// ChargeView is a charge as the API shows it.
type ChargeView struct {
	ID           string          `json:"id"`
	MerchantID   string          `json:"merchant_id"`
	MerchantName string          `json:"merchant_name"`
	ToPhone      string          `json:"to_phone"`
	Amount       bandeira.Amount `json:"amount"`
	Description  string          `json:"description"`
	Status       string          `json:"status"`
	PaymentID    string          `json:"payment_id,omitempty"`
	Created      time.Time       `json:"created_at"`
	Expires      time.Time       `json:"expires_at"`
}

// CreateCharge sends a merchant's bill to a phone; it shows in that user's chat (now, or
// once the phone registers) until it is paid or expires after ChargeTTL.
func (w *Wallet) CreateCharge(ctx context.Context, call Call, in NewCharge) (ChargeView, error) {
	kind, id, done, err := w.begin(call)
	defer done()
	if err != nil || kind != "" {
		if err != nil {
			return ChargeView{}, err
		}
		return w.Charge(id)
	}
	desc := strings.TrimSpace(in.Description)
	switch {
	case !e164.MatchString(in.ToPhone):
		return ChargeView{}, errInvalid("to_phone: want E.164, a + and 8 to 15 digits")
	case desc == "" || utf8.RuneCountInString(desc) > maxMessageLen || strings.IndexFunc(desc, unicode.IsControl) >= 0:
		return ChargeView{}, errInvalid("description: want 1 to %d characters, no control characters", maxMessageLen)
	}
	if err := w.checkAmount(in.Amount); err != nil {
		return ChargeView{}, err
	}
	now := w.now().UTC()
	c := &charge{ID: newID("chg"), MerchantID: in.MerchantID, ToPhone: in.ToPhone, Amount: in.Amount, Description: desc,
		Status: chargeOpen, Created: now, Expires: now.Add(w.cfg.ChargeTTL)}
	var view ChargeView
	err = w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		if _, ok := w.merchants[in.MerchantID]; !ok {
			return errNotFound("merchant")
		}
		c.Seq = w.nextSeq()
		w.addCharge(c)
		w.save(b, tableCharges, c.ID, c.Seq, c)
		w.bind(b, call, kindCharge, c.ID)
		view = w.chargeView(c)
		return nil
	})
	return view, err
}

// PayCharge pays an open charge sent to the user's phone, as a payment of its amount to
// its merchant: at most once (409 once paid or while a payment of it runs, 410 once
// expired). A declined payment leaves it open.
func (w *Wallet) PayCharge(ctx context.Context, call Call, chargeID string, in PayCharge) (PaymentView, error) {
	kind, id, done, err := w.begin(call)
	defer done()
	if err != nil || kind != "" {
		return w.paymentReplay(id, err)
	}
	w.mu.Lock()
	p, ch, err := w.chargePurchase(chargeID, in)
	w.mu.Unlock()
	if err != nil {
		return PaymentView{}, err
	}
	defer func() {
		w.mu.Lock()
		ch.paying = false
		w.mu.Unlock()
	}()
	if err := w.confirm(ctx, p.u, in.Confirmation, Purpose{Operation: opChargePayment, ChargeID: ch.ID, CardID: p.c.ID}); err != nil {
		return PaymentView{}, err
	}
	return w.pay(ctx, call, p, func(b *store.Batch[store.Upserts], pay *payment) {
		ch.Status, ch.PaymentID = chargePaid, pay.ID
		w.save(b, tableCharges, ch.ID, ch.Seq, ch)
	})
}

// chargePurchase checks a charge payment and marks the charge as being paid. w.mu must be
// held.
func (w *Wallet) chargePurchase(chargeID string, in PayCharge) (purchase, *charge, error) {
	ch, ok := w.charges[chargeID]
	if !validID(chargeID, "chg") || !ok {
		return purchase{}, nil, errNotFound("charge")
	}
	p, err := w.payer(in.UserID, in.CardID, in.Installments)
	if err != nil {
		return p, nil, err
	}
	switch {
	case p.u.Phone != ch.ToPhone:
		return p, nil, newError(http.StatusForbidden, "charge_not_yours", "this charge was sent to another phone")
	case ch.Status == chargePaid:
		return p, nil, newError(http.StatusConflict, "charge_paid", "this charge is paid already")
	case ch.Status == chargeCancelled:
		return p, nil, newError(http.StatusGone, "charge_cancelled", "the merchant cancelled this charge")
	case ch.paying:
		return p, nil, newError(http.StatusConflict, "request_in_progress", "a payment of this charge is running")
	case !w.now().Before(ch.Expires):
		return p, nil, newError(http.StatusGone, "charge_expired", "this charge expired")
	}
	if err := w.checkAmount(ch.Amount); err != nil {
		return p, nil, err
	}
	p.m, p.amount, p.chargeID = w.merchants[ch.MerchantID], ch.Amount, ch.ID
	p.items = []item{{ProductID: "charge", Name: ch.Description, Quantity: 1, Price: ch.Amount, Amount: ch.Amount}}
	ch.paying = true
	return p, ch, nil
}

// Charge returns a charge's view.
func (w *Wallet) Charge(id string) (ChargeView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.charges[id]
	if !validID(id, "chg") || !ok {
		return ChargeView{}, errNotFound("charge")
	}
	return w.chargeView(c), nil
}

// chargeView shows c, expired once past its time. w.mu must be held.
func (w *Wallet) chargeView(c *charge) ChargeView {
	status := c.Status
	if status == chargeOpen && !w.now().Before(c.Expires) {
		status = chargeExpired
	}
	return ChargeView{ID: c.ID, MerchantID: c.MerchantID, MerchantName: w.merchants[c.MerchantID].Name, ToPhone: c.ToPhone,
		Amount: c.Amount, Description: c.Description, Status: status, PaymentID: c.PaymentID, Created: c.Created,
		Expires: c.Expires}
}
