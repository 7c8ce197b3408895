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

// NewTransfer is the body of POST /v1/transfers.
type NewTransfer struct {
	FromUserID   string          `json:"from_user_id"`
	CardID       string          `json:"card_id"`
	ToPhone      string          `json:"to_phone"`
	Amount       bandeira.Amount `json:"amount"`
	Message      string          `json:"message"`
	Confirmation *Confirmation   `json:"confirmation"`
}

// TransferView is a transfer as the API shows it.
type TransferView struct {
	ID           string          `json:"id"`
	Status       string          `json:"status"`
	ResponseCode string          `json:"response_code"`
	Reason       string          `json:"reason"`
	Amount       bandeira.Amount `json:"amount"`
	FromUserID   string          `json:"from_user_id"`
	FromName     string          `json:"from_name"`
	ToUserID     string          `json:"to_user_id"`
	ToName       string          `json:"to_name"`
	ToPhone      string          `json:"to_phone"`
	CardID       string          `json:"card_id,omitempty"`
	Message      string          `json:"message"`
	App          string          `json:"app"`
	Reversal     string          `json:"reversal,omitempty"`
	Created      time.Time       `json:"created_at"`
}

// maxMessageLen is the longest transfer message or charge description, in characters.
const maxMessageLen = 140

// transferParties are a transfer's checked sender, card and recipient.
type transferParties struct {
	from, to *user
	c, toC   *card
}

// CreateTransfer sends money to a phone: free for both. It checks the sender's card
// (debit or prepaid only), the recipient and the limits, then pulls the amount from the
// sender's card (an 0200 account funding, processing code 10) and pushes it to the
// recipient's default card (an 0200 original credit, 26). A push that fails has its pull
// reversed. Bad input and limits are 4xx and send nothing; a decline is a transfer with
// status declined or failed (201).
func (w *Wallet) CreateTransfer(ctx context.Context, call Call, in NewTransfer) (TransferView, error) {
	kind, id, done, err := w.begin(call)
	defer done()
	if err != nil || kind != "" {
		if err != nil {
			return TransferView{}, err
		}
		return w.Transfer(id)
	}
	msg := strings.TrimSpace(in.Message)
	if err := w.checkTransferInput(in, msg); err != nil {
		w.countRefused(call, err)
		return TransferView{}, err
	}
	w.mu.Lock()
	tp, err := w.transferParties(in)
	w.mu.Unlock()
	if err != nil {
		return TransferView{}, err
	}
	want := Purpose{Operation: opTransfer, CardID: tp.c.ID, ToPhone: in.ToPhone, Amount: in.Amount}
	if err := w.confirm(ctx, tp.from, in.Confirmation, want); err != nil {
		return TransferView{}, err
	}
	t := &transfer{ID: newID("trf"), FromUser: tp.from.ID, ToUser: tp.to.ID, CardID: tp.c.ID, ToCardID: tp.toC.ID,
		App: call.App, Amount: in.Amount, Message: msg, Status: statusPending}
	pull, err := w.startTransfer(ctx, call, t, tp)
	if err != nil {
		w.countRefused(call, err)
		return TransferView{}, err
	}
	w.runTransfer(ctx, t, tp, pull)
	w.m.Transfers.WithLabelValues(t.App, t.Status).Inc()
	return w.Transfer(t.ID)
}

// checkTransferInput checks what needs no lookup: the amount, its limit, the phone and
// the message.
func (w *Wallet) checkTransferInput(in NewTransfer, msg string) error {
	switch {
	case in.Amount <= 0:
		return errInvalid("amount: must be above 0 centavos")
	case !e164.MatchString(in.ToPhone):
		return errInvalid("to_phone: want E.164, a + and 8 to 15 digits")
	case utf8.RuneCountInString(msg) > maxMessageLen || strings.IndexFunc(msg, unicode.IsControl) >= 0:
		return errInvalid("message: at most %d characters, no control characters", maxMessageLen)
	case in.Amount > w.cfg.Limits.Transfer:
		return newError(http.StatusUnprocessableEntity, "limit_exceeded", "a transfer is at most %s", w.cfg.Limits.Transfer)
	}
	return nil
}

// countRefused counts a transfer refused for a limit.
func (w *Wallet) countRefused(call Call, err error) {
	if e := asError(err); e != nil && e.Code == "limit_exceeded" {
		w.m.Transfers.WithLabelValues(call.App, "refused").Inc()
	}
}

// transferParties resolves the sender, the card, the recipient and the recipient's
// default card. w.mu must be held.
func (w *Wallet) transferParties(in NewTransfer) (transferParties, error) {
	var tp transferParties
	var err error
	if tp.from, err = w.user(in.FromUserID); err != nil {
		return tp, err
	}
	var cerr *Error
	if tp.c, cerr = w.cardOf(tp.from, in.CardID); cerr != nil {
		return tp, cerr
	}
	if cerr = w.checkExpiry(tp.c); cerr != nil {
		return tp, cerr
	}
	if tp.c.Product == bandeira.Credit {
		return tp, newError(http.StatusUnprocessableEntity, "credit_not_allowed",
			"transfers are sent from debit or prepaid cards, not credit cards")
	}
	toID, ok := w.phones[in.ToPhone]
	if !ok {
		return tp, newError(http.StatusNotFound, "recipient_not_found", "no wallet user has this phone number")
	}
	tp.to = w.users[toID]
	switch {
	case tp.to.ID == tp.from.ID:
		return tp, newError(http.StatusUnprocessableEntity, "self_transfer", "you cannot send money to yourself")
	case tp.to.DefaultCard == "":
		return tp, newError(http.StatusUnprocessableEntity, "recipient_cannot_receive", "the recipient has no card to receive money on")
	}
	tp.toC = w.cards[tp.to.DefaultCard]
	if cerr = w.checkExpiry(tp.toC); cerr != nil {
		return tp, newError(http.StatusUnprocessableEntity, "recipient_cannot_receive", "the recipient's card has expired")
	}
	return tp, nil
}

// startTransfer checks the daily and monthly limits and records the transfer with its
// signed pull, in one commit, so that concurrent transfers count each other.
func (w *Wallet) startTransfer(ctx context.Context, call Call, t *transfer, tp transferParties) (bandeira.Authorization, error) {
	acc := w.p2pAcceptor(tp.c.Brand)
	var pull bandeira.Authorization
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		if err := removedCard(tp.c); err != nil {
			return err
		}
		if !tp.toC.Removed.IsZero() {
			return newError(http.StatusUnprocessableEntity, "recipient_cannot_receive", "the recipient has no card to receive money on")
		}
		if err := w.checkLimits(t); err != nil {
			return err
		}
		t.Pull, t.Created, t.Seq = w.newKey(b, acc), w.now().UTC(), w.nextSeq()
		pull = w.request(bandeira.MTIFinancial, procFunding, bandeira.PAN(tp.c.number), tp.c.TokenExpiry, t.Amount, acc, t.Pull)
		w.sign(&pull, tp.c)
		w.save(b, tableCards, tp.c.ID, tp.c.Seq, tp.c)
		w.addTransfer(t)
		w.save(b, tableTransfers, t.ID, t.Seq, t)
		w.bind(b, call, kindTransfer, t.ID)
		return nil
	})
	return pull, err
}

// checkLimits refuses a transfer over the recipient's daily count or the sender's monthly
// total, counting every transfer that was not declined or failed. w.mu must be held.
func (w *Wallet) checkLimits(t *transfer) error {
	now := w.now().In(brasilia)
	day, month := now.Format("2006-01-02"), now.Format("2006-01")
	received, sent := 0, bandeira.Amount(0)
	for _, ref := range w.activity[t.ToUser] {
		o := w.transferOf(ref)
		if o != nil && o.ToUser == t.ToUser && live(o) && o.Created.In(brasilia).Format("2006-01-02") == day {
			received++
		}
	}
	for _, ref := range w.activity[t.FromUser] {
		o := w.transferOf(ref)
		if o != nil && o.FromUser == t.FromUser && live(o) && o.Created.In(brasilia).Format("2006-01") == month {
			sent += o.Amount
		}
	}
	l := w.cfg.Limits
	switch {
	case received >= l.ReceivedPerDay:
		return newError(http.StatusUnprocessableEntity, "limit_exceeded",
			"the recipient has received %d transfers today, the most a day", l.ReceivedPerDay)
	case sent+t.Amount > l.SentPerMonth:
		return newError(http.StatusUnprocessableEntity, "limit_exceeded",
			"transfers are limited to %s a month; you have sent %s this month", l.SentPerMonth, sent)
	}
	return nil
}

func (w *Wallet) transferOf(ref activityRef) *transfer {
	if ref.kind != kindTransfer {
		return nil
	}
	return w.transfers[ref.id]
}

// live reports whether a transfer counts towards the limits: it moved money or may still.
func live(t *transfer) bool { return t.Status != statusDeclined && t.Status != statusFailed }

// runTransfer sends the pull, then the push, and records each outcome.
func (w *Wallet) runTransfer(ctx context.Context, t *transfer, tp transferParties, pull bandeira.Authorization) {
	pullAcc := w.p2pAcceptor(tp.c.Brand)
	out := w.send(ctx, pull)
	switch {
	case out.unknown:
		w.finishTransfer(ctx, t, statusFailed, out.res.Code, reason(out.res.Code), w.reverse(ctx, pull, pullAcc))
		return
	case !out.res.Code.Approved():
		w.finishTransfer(ctx, t, statusDeclined, out.res.Code, reason(out.res.Code), "")
		return
	}
	pushAcc := w.p2pAcceptor(tp.toC.Brand)
	var push bandeira.Authorization
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		t.Status, t.Push = statusPulled, w.newKey(b, pushAcc)
		push = w.request(bandeira.MTIFinancial, procCredit, bandeira.PAN(tp.toC.number), tp.toC.TokenExpiry, t.Amount, pushAcc, t.Push)
		w.sign(&push, tp.toC)
		w.save(b, tableCards, tp.toC.ID, tp.toC.Seq, tp.toC)
		w.save(b, tableTransfers, t.ID, t.Seq, t)
		return nil
	})
	if err != nil {
		return // the store failed: the next start reverses the pull
	}
	out = w.send(ctx, push)
	switch {
	case out.res.Code.Approved() && !out.unknown:
		w.finishTransfer(ctx, t, statusCompleted, out.res.Code, "", "")
	case out.unknown:
		w.reverse(ctx, push, pushAcc)
		w.finishTransfer(ctx, t, statusFailed, out.res.Code, "the recipient's bank did not answer; the money was returned to your card",
			w.reverse(ctx, pull, pullAcc))
	default:
		w.finishTransfer(ctx, t, statusFailed, out.res.Code, "the recipient's card could not receive it ("+reason(out.res.Code)+
			"); the money was returned to your card", w.reverse(ctx, pull, pullAcc))
	}
}

// finishTransfer records a transfer's end.
func (w *Wallet) finishTransfer(ctx context.Context, t *transfer, status string, code bandeira.ResponseCode, why, rev string) {
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		t.Status, t.Code, t.Reason, t.Reversal = status, string(code), why, rev
		w.save(b, tableTransfers, t.ID, t.Seq, t)
		return nil
	})
	if err != nil {
		w.log.Error().Err(err).Str("transfer", t.ID).Msg("could not record a transfer's outcome; the next start reverses it")
	}
}

// Transfer returns a transfer's view.
func (w *Wallet) Transfer(id string) (TransferView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.transfers[id]
	if !validID(id, "trf") || !ok {
		return TransferView{}, errNotFound("transfer")
	}
	return w.transferView(t), nil
}

// transferView shows t. w.mu must be held.
func (w *Wallet) transferView(t *transfer) TransferView {
	from, to := w.users[t.FromUser], w.users[t.ToUser]
	return TransferView{ID: t.ID, Status: t.Status, ResponseCode: t.Code, Reason: t.Reason, Amount: t.Amount,
		FromUserID: t.FromUser, FromName: from.Name, ToUserID: t.ToUser, ToName: to.Name, ToPhone: to.Phone,
		CardID: t.CardID, Message: t.Message, App: t.App, Reversal: t.Reversal, Created: t.Created}
}
