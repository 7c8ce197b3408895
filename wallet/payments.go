package wallet

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// NewPayment is the body of POST /v1/payments: items of a merchant's catalog, paid with
// one of the user's cards.
type NewPayment struct {
	UserID       string        `json:"user_id"`
	CardID       string        `json:"card_id"`
	MerchantID   string        `json:"merchant_id"`
	Items        []ItemRequest `json:"items"`
	Installments *int          `json:"installments"`
	Confirmation *Confirmation `json:"confirmation"`
}

// ItemRequest is one line of a NewPayment.
type ItemRequest struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

// PaymentView is a payment as the API shows it. MerchantFee and MerchantNet are the
// merchant's fee on its acquirer plan and what it is paid, for an approved payment (0
// otherwise); the user pays Amount.
type PaymentView struct {
	ID           string          `json:"id"`
	Status       string          `json:"status"`
	ResponseCode string          `json:"response_code"`
	Reason       string          `json:"reason"`
	AuthCode     string          `json:"auth_code"`
	Amount       bandeira.Amount `json:"amount"`
	MerchantFee  bandeira.Amount `json:"merchant_fee"`
	MerchantNet  bandeira.Amount `json:"merchant_net"`
	MerchantID   string          `json:"merchant_id"`
	MerchantName string          `json:"merchant_name"`
	UserID       string          `json:"user_id"`
	CardID       string          `json:"card_id"`
	App          string          `json:"app"`
	Items        []item          `json:"items"`
	Installments int             `json:"installments,omitempty"`
	ChargeID     string          `json:"charge_id,omitempty"`
	Reversal     string          `json:"reversal,omitempty"`
	Created      time.Time       `json:"created_at"`
}

// The most lines and units of a payment.
const (
	maxItems    = 20
	maxQuantity = 99
)

// purchase is a payment being made.
type purchase struct {
	u            *user
	c            *card
	m            Merchant
	items        []item
	amount       bandeira.Amount
	installments int
	chargeID     string
}

// CreatePayment pays items of a merchant's catalog: checked, confirmed, then sent as an
// 0200 purchase on the card's token with a fresh cryptogram. A decline is a payment with
// status declined (201); bad input is 4xx and sends nothing.
func (w *Wallet) CreatePayment(ctx context.Context, call Call, in NewPayment) (PaymentView, error) {
	kind, id, done, err := w.begin(call)
	defer done()
	if err != nil || kind != "" {
		return w.paymentReplay(id, err)
	}
	p, err := w.checkPurchase(in)
	if err != nil {
		return PaymentView{}, err
	}
	want := Purpose{Operation: opPayment, CardID: p.c.ID, MerchantID: p.m.ID, Amount: p.amount}
	if err := w.confirm(ctx, p.u, in.Confirmation, want); err != nil {
		return PaymentView{}, err
	}
	return w.pay(ctx, call, p, nil)
}

func (w *Wallet) paymentReplay(id string, err error) (PaymentView, error) {
	if err != nil {
		return PaymentView{}, err
	}
	return w.Payment(id)
}

// checkPurchase checks a catalog payment's user, card, merchant, items and installments.
func (w *Wallet) checkPurchase(in NewPayment) (purchase, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, err := w.payer(in.UserID, in.CardID, in.Installments)
	if err != nil {
		return p, err
	}
	m, ok := w.merchants[in.MerchantID]
	if !ok {
		return p, errNotFound("merchant")
	}
	p.m = m
	if p.items, p.amount, err = w.priceItems(m.ID, in.Items); err != nil {
		return p, err
	}
	return p, w.checkAmount(p.amount)
}

// payer checks the user, the card and the installments of a payment. w.mu must be held.
func (w *Wallet) payer(userID, cardID string, installments *int) (purchase, error) {
	u, err := w.user(userID)
	if err != nil {
		return purchase{}, err
	}
	c, cerr := w.cardOf(u, cardID)
	if cerr != nil {
		return purchase{}, cerr
	}
	if err := w.checkExpiry(c); err != nil {
		return purchase{}, err
	}
	p := purchase{u: u, c: c}
	if installments != nil && *installments != 1 {
		switch n := *installments; {
		case n < 1 || n > 12:
			return p, errInvalid("installments: want 1 to 12")
		case c.Product != bandeira.Credit:
			return p, newError(http.StatusUnprocessableEntity, "installments_not_allowed",
				"installments are for credit cards; this card is %s", c.Product)
		}
		p.installments = *installments
	}
	return p, nil
}

// checkExpiry refuses a card whose token has expired. w.mu must be held.
func (w *Wallet) checkExpiry(c *card) *Error {
	now := w.now().In(brasilia)
	if c.TokenExpiry < fmt.Sprintf("%02d%02d", now.Year()%100, int(now.Month())) {
		return newError(http.StatusUnprocessableEntity, "card_expired", "this card has expired: add it again with its new expiry")
	}
	return nil
}

// priceItems resolves a payment's lines against the merchant's catalog.
func (w *Wallet) priceItems(merchantID string, in []ItemRequest) ([]item, bandeira.Amount, error) {
	if len(in) == 0 || len(in) > maxItems {
		return nil, 0, errInvalid("items: want 1 to %d lines", maxItems)
	}
	catalog := w.cfg.Catalogs[merchantID]
	var out []item
	var total bandeira.Amount
	for i, it := range in {
		if it.Quantity < 1 || it.Quantity > maxQuantity {
			return nil, 0, errInvalid("items[%d].quantity: want 1 to %d", i, maxQuantity)
		}
		var found *Product
		for k := range catalog {
			if catalog[k].ID == it.ProductID {
				found = &catalog[k]
			}
		}
		if found == nil {
			return nil, 0, errNotFound("product")
		}
		amount := found.Price * bandeira.Amount(it.Quantity)
		out = append(out, item{ProductID: found.ID, Name: found.Name, Quantity: it.Quantity, Price: found.Price, Amount: amount})
		total += amount
	}
	return out, total, nil
}

// checkAmount refuses an amount that is not positive (400) or above the payment limit
// (422).
func (w *Wallet) checkAmount(a bandeira.Amount) error {
	switch {
	case a <= 0:
		return errInvalid("amount: must be above 0 centavos")
	case a > w.cfg.Limits.Payment:
		return newError(http.StatusUnprocessableEntity, "limit_exceeded",
			"payments are limited to %s; this one is %s", w.cfg.Limits.Payment, a)
	}
	return nil
}

// pay sends a checked, confirmed purchase and records its outcome. settle, if set, runs
// in the batch that records an approval (a charge marks itself paid there).
func (w *Wallet) pay(ctx context.Context, call Call, p purchase, settle func(b *store.Batch[store.Upserts], pay *payment)) (PaymentView, error) {
	fee, err := w.quote(p)
	if err != nil {
		return PaymentView{}, err
	}
	pay := &payment{ID: newID("pay"), UserID: p.u.ID, CardID: p.c.ID, MerchantID: p.m.ID, ChargeID: p.chargeID,
		App: call.App, Items: p.items, Installments: p.installments, Amount: p.amount, Status: statusPending}
	acc := w.merchantAcceptor(p.m)
	var a bandeira.Authorization
	err = w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		if err := removedCard(p.c); err != nil {
			return err
		}
		pay.Key, pay.Created, pay.Seq = w.newKey(b, acc), w.now().UTC(), w.nextSeq()
		a = w.request(bandeira.MTIFinancial, procPurchase, bandeira.PAN(p.c.number), p.c.TokenExpiry, p.amount, acc, pay.Key)
		if p.installments > 1 {
			a.Installments = &bandeira.Installments{Plan: bandeira.PlanLojista, Count: p.installments}
		}
		w.sign(&a, p.c)
		w.save(b, tableCards, p.c.ID, p.c.Seq, p.c)
		w.addPayment(pay)
		w.save(b, tablePayments, pay.ID, pay.Seq, pay)
		w.bind(b, call, kindPayment, pay.ID)
		return nil
	})
	if err != nil {
		return PaymentView{}, err
	}
	out := w.send(ctx, a)
	rev := ""
	if out.unknown {
		rev = w.reverse(ctx, a, acc)
	}
	var view PaymentView
	err = w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		w.settlePayment(pay, out, fee, rev)
		if pay.Status == statusApproved && settle != nil {
			settle(b, pay)
		}
		w.save(b, tablePayments, pay.ID, pay.Seq, pay)
		view = w.paymentView(pay)
		return nil
	})
	w.m.Payments.WithLabelValues(pay.App, pay.Status).Inc()
	return view, err
}

// quote prices the payment on the merchant's plan.
func (w *Wallet) quote(p purchase) (bandeira.Fee, error) {
	sale := bandeira.Sale{MerchantID: p.m.ID, Brand: p.c.Brand, Product: p.c.Product, Amount: p.amount}
	if p.installments > 1 {
		sale.Installments = &bandeira.Installments{Plan: bandeira.PlanLojista, Count: p.installments}
	}
	fee, err := w.opts.Pricer.Price(sale)
	if err != nil {
		return fee, newError(http.StatusUnprocessableEntity, "not_accepted", "the merchant cannot accept this card: %v", err)
	}
	return fee, nil
}

// settlePayment records what came back. w.mu must be held.
func (w *Wallet) settlePayment(pay *payment, out outcome, fee bandeira.Fee, rev string) {
	pay.Code, pay.Reason, pay.Reversal = string(out.res.Code), reason(out.res.Code), rev
	switch {
	case out.unknown:
		pay.Status = statusFailed
	case out.res.Code.Approved():
		pay.Status, pay.AuthCode, pay.Fee, pay.Net = statusApproved, out.res.AuthCode, fee.MDR, fee.Net
	default:
		pay.Status = statusDeclined
	}
}

// Payment returns a payment's view.
func (w *Wallet) Payment(id string) (PaymentView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.payments[id]
	if !validID(id, "pay") || !ok {
		return PaymentView{}, errNotFound("payment")
	}
	return w.paymentView(p), nil
}

// paymentView shows p. w.mu must be held.
func (w *Wallet) paymentView(p *payment) PaymentView {
	items := p.Items
	if items == nil {
		items = []item{}
	}
	return PaymentView{ID: p.ID, Status: p.Status, ResponseCode: p.Code, Reason: p.Reason, AuthCode: p.AuthCode,
		Amount: p.Amount, MerchantFee: p.Fee, MerchantNet: p.Net, MerchantID: p.MerchantID,
		MerchantName: w.opts.merchantName(p.MerchantID), UserID: p.UserID, CardID: p.CardID, App: p.App, Items: items,
		Installments: p.Installments, ChargeID: p.ChargeID, Reversal: p.Reversal, Created: p.Created}
}

// merchantName returns a merchant's name, "" when unknown.
func (o Options) merchantName(id string) string {
	for _, m := range o.Merchants {
		if m.ID == id {
			return m.Name
		}
	}
	return ""
}
