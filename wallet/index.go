package wallet

import "slices"

// activityRef is one entry of a user's activity: a payment, a transfer (sent or
// received) or a charge to the user's phone, by kind and ID, in sequence order.
type activityRef struct {
	kind string // payment, transfer, charge
	id   string
	seq  int64
}

// The kinds of activity entries (and of idempotent resources).
const (
	kindPayment  = "payment"
	kindTransfer = "transfer"
	kindCharge   = "charge"
	kindUser     = "user"
	kindCard     = "card"
	kindDevice   = "device"
)

// The indexing functions below add a loaded or new item to the in-memory maps. w.mu must
// be held (or the wallet not yet shared, while loading).

func (w *Wallet) addUser(u *user) {
	w.users[u.ID] = u
	w.phones[u.Phone] = u.ID
	for _, id := range w.phoneCharge[u.Phone] {
		c := w.charges[id]
		w.addActivity(u.ID, activityRef{kindCharge, c.ID, c.Seq})
	}
}

func (w *Wallet) addCard(c *card) {
	w.cards[c.ID] = c
	if c.Removed.IsZero() {
		w.userCards[c.UserID] = append(w.userCards[c.UserID], c.ID)
	}
}

func (w *Wallet) addPayment(p *payment) {
	w.payments[p.ID] = p
	w.addActivity(p.UserID, activityRef{kindPayment, p.ID, p.Seq})
}

func (w *Wallet) addTransfer(t *transfer) {
	w.transfers[t.ID] = t
	w.addActivity(t.FromUser, activityRef{kindTransfer, t.ID, t.Seq})
	w.addActivity(t.ToUser, activityRef{kindTransfer, t.ID, t.Seq})
}

func (w *Wallet) addCharge(c *charge) {
	w.charges[c.ID] = c
	w.phoneCharge[c.ToPhone] = append(w.phoneCharge[c.ToPhone], c.ID)
	if uid, ok := w.phones[c.ToPhone]; ok {
		w.addActivity(uid, activityRef{kindCharge, c.ID, c.Seq})
	}
}

// addActivity inserts ref in the user's activity, keeping it in sequence order (items
// load in sequence order per table, but the tables load one after another).
func (w *Wallet) addActivity(userID string, ref activityRef) {
	list := w.activity[userID]
	i, _ := slices.BinarySearchFunc(list, ref.seq, func(r activityRef, seq int64) int {
		switch {
		case r.seq < seq:
			return -1
		case r.seq > seq:
			return 1
		}
		return 0
	})
	w.activity[userID] = slices.Insert(list, i, ref)
}

// sortBySeq sorts items by their sequence number.
func sortBySeq[T any](items []T, seq func(T) int64) {
	slices.SortFunc(items, func(a, b T) int {
		switch x, y := seq(a), seq(b); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
}
