package wallet

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/bandeira/bandeira"
)

// ActivityItem is one line of a user's activity: a payment, a transfer sent or received,
// or a charge sent to the user's phone. The object of its type is set beside it.
type ActivityItem struct {
	Type        string          `json:"type"` // payment, transfer, charge
	ID          string          `json:"id"`
	Created     time.Time       `json:"created_at"`
	Amount      bandeira.Amount `json:"amount"`
	Status      string          `json:"status"`
	Direction   string          `json:"direction"` // out (the user pays) or in (the user receives)
	Title       string          `json:"title"`     // the merchant or the other person
	Description string          `json:"description"`
	App         string          `json:"app,omitempty"`
	Payment     *PaymentView    `json:"payment,omitempty"`
	Transfer    *TransferView   `json:"transfer,omitempty"`
	Charge      *ChargeView     `json:"charge,omitempty"`
}

// ActivityPage is a page of activity, newest first; NextCursor fetches the next one.
type ActivityPage struct {
	Items      []ActivityItem `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// The page sizes of the activity.
const (
	defaultPage = 20
	maxPage     = 100
)

// Activity returns a page of the user's activity, newest first: limit items (20 by
// default, at most 100) older than cursor ("" for the newest). A transfer shows for its
// recipient only once completed.
func (w *Wallet) Activity(userID string, limit int, cursor string) (ActivityPage, error) {
	if limit == 0 {
		limit = defaultPage
	}
	if limit < 1 || limit > maxPage {
		return ActivityPage{}, errInvalid("limit: want 1 to %d", maxPage)
	}
	before := int64(1) << 62
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		n, perr := strconv.ParseInt(string(b), 10, 64)
		if err != nil || perr != nil || n <= 0 {
			return ActivityPage{}, errInvalid("cursor: not a cursor this API gave")
		}
		before = n
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.user(userID); err != nil {
		return ActivityPage{}, err
	}
	page := ActivityPage{Items: []ActivityItem{}}
	refs := w.activity[userID]
	for i := len(refs) - 1; i >= 0; i-- {
		ref := refs[i]
		if ref.seq >= before {
			continue
		}
		if len(page.Items) == limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(page.Items[limit-1].seq(w), 10)))
			break
		}
		if it, ok := w.activityItem(userID, ref); ok {
			page.Items = append(page.Items, it)
		}
	}
	return page, nil
}

// seq returns the sequence number of an item's object. w.mu must be held.
func (it ActivityItem) seq(w *Wallet) int64 {
	switch it.Type {
	case kindPayment:
		return w.payments[it.ID].Seq
	case kindTransfer:
		return w.transfers[it.ID].Seq
	}
	return w.charges[it.ID].Seq
}

// activityItem describes ref for userID; false hides it. w.mu must be held.
func (w *Wallet) activityItem(userID string, ref activityRef) (ActivityItem, bool) {
	switch ref.kind {
	case kindPayment:
		p := w.paymentView(w.payments[ref.id])
		return ActivityItem{Type: kindPayment, ID: p.ID, Created: p.Created, Amount: p.Amount, Status: p.Status,
			Direction: "out", Title: p.MerchantName, Description: describeItems(p.Items), App: p.App, Payment: &p}, true
	case kindTransfer:
		t := w.transferView(w.transfers[ref.id])
		it := ActivityItem{Type: kindTransfer, ID: t.ID, Created: t.Created, Amount: t.Amount, Status: t.Status,
			Direction: "out", Title: t.ToName, Description: t.Message, App: t.App, Transfer: &t}
		if t.ToUserID == userID {
			if t.Status != statusCompleted {
				return it, false
			}
			t.CardID, it.Direction, it.Title = "", "in", t.FromName
		}
		return it, true
	}
	c := w.chargeView(w.charges[ref.id])
	return ActivityItem{Type: kindCharge, ID: c.ID, Created: c.Created, Amount: c.Amount, Status: c.Status,
		Direction: "out", Title: c.MerchantName, Description: c.Description, Charge: &c}, true
}

// describeItems is a payment's lines in one line: "2× Caixa com 12 brigadeiros, …".
func describeItems(items []item) string {
	var s string
	for i, it := range items {
		if i > 0 {
			s += ", "
		}
		if it.Quantity > 1 {
			s += strconv.Itoa(it.Quantity) + "× "
		}
		s += it.Name
	}
	return s
}
