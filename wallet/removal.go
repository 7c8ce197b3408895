package wallet

import (
	"context"
	"net/http"

	"github.com/bandeira/bandeira/internal/store"
)

// The card networks' token services here have no lifecycle message (no token deletion
// or suspension on the wire, docs/spec.md), so removing a card is the wallet's alone: it
// marks the card removed, forgets its token number (the row keeps neither the sealed
// token nor the PAN's keyed hash) and never signs with it again. The token stays in the
// network's vault, but without the wallet's cryptograms no request on it is approved.
// Rows are never deleted: a removed card's row, and a revoked device's, stay with the
// time of the removal, so payments that name them keep their history.

// RemoveCard removes one of the user's cards: it no longer pays or receives, and the same
// card can be added again (as a new card, with a new token). The default card passes to
// the user's oldest remaining card. A card a payment or transfer in flight uses is 409
// card_in_use; an unknown or removed card 404, another user's 403.
func (w *Wallet) RemoveCard(ctx context.Context, userID, cardID string) error {
	var removed *card
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		u, err := w.user(userID)
		if err != nil {
			return err
		}
		c, cerr := w.cardOf(u, cardID)
		if cerr != nil {
			return cerr
		}
		if w.cardInFlight(c.ID) {
			return newError(http.StatusConflict, "card_in_use", "a payment or transfer with this card is running: try again when it ends")
		}
		c.Removed, c.SealedToken, c.Token, c.Fingerprint, c.number = w.now().UTC(), nil, "", "", ""
		w.dropUserCard(u, c.ID)
		w.save(b, tableCards, c.ID, c.Seq, c)
		w.save(b, tableUsers, u.ID, u.Seq, u)
		removed = c
		return nil
	})
	if err == nil {
		w.log.Info().Str("user", removed.UserID).Str("card", removed.ID).Str("brand", string(removed.Brand)).Msg("card removed")
	}
	return err
}

// cardInFlight reports whether a payment or transfer that may still send a request on
// card id is unfinished. w.mu must be held.
func (w *Wallet) cardInFlight(id string) bool {
	for _, p := range w.payments {
		if p.CardID == id && p.Status == statusPending {
			return true
		}
	}
	for _, t := range w.transfers {
		if (t.CardID == id || t.ToCardID == id) && (t.Status == statusPending || t.Status == statusPulled) {
			return true
		}
	}
	return false
}

// dropUserCard takes a card out of the user's list and passes the default on to the
// oldest remaining card (none when there is none). w.mu must be held.
func (w *Wallet) dropUserCard(u *user, cardID string) {
	list := w.userCards[u.ID]
	kept := list[:0:0]
	for _, id := range list {
		if id != cardID {
			kept = append(kept, id)
		}
	}
	w.userCards[u.ID] = kept
	if u.DefaultCard == cardID {
		u.DefaultCard = ""
		if len(kept) > 0 {
			u.DefaultCard = kept[0]
		}
	}
}

// removedCard is the refusal of an operation whose card was removed while it was being
// checked and confirmed: the card is gone, as if it had never been.
func removedCard(c *card) *Error {
	if c.Removed.IsZero() {
		return nil
	}
	return errNotFound("card")
}

// RemoveDevice revokes one of the user's devices: its challenges, issued or not, confirm
// nothing any more (404 device_not_found). An unknown or revoked device is 404.
func (w *Wallet) RemoveDevice(ctx context.Context, userID, deviceID string) error {
	return w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		if _, err := w.user(userID); err != nil {
			return err
		}
		d, ok := w.devices[deviceID]
		if !validID(deviceID, "dev") || !ok || d.UserID != userID {
			return errNotFound("device")
		}
		d.Revoked = w.now().UTC()
		delete(w.devices, d.ID)
		w.save(b, tableDevices, d.ID, d.Seq, d)
		return nil
	})
}

// CancelCharge is the body of POST /v1/charges/{id}/cancel: the merchant that sent the
// charge.
type CancelCharge struct {
	MerchantID string `json:"merchant_id"`
}

// CancelCharge cancels an open charge for the merchant that sent it: it can no longer be
// paid (410 charge_cancelled). Cancelling a cancelled charge answers it again. Another
// merchant is 403 charge_not_yours, a paid charge 409 charge_paid, one being paid 409
// request_in_progress, an expired one 410 charge_expired.
func (w *Wallet) CancelCharge(ctx context.Context, chargeID string, in CancelCharge) (ChargeView, error) {
	var view ChargeView
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		ch, ok := w.charges[chargeID]
		if !validID(chargeID, "chg") || !ok {
			return errNotFound("charge")
		}
		if err := w.checkCancel(ch, in.MerchantID); err != nil {
			return err
		}
		if ch.Status != chargeCancelled {
			ch.Status, ch.Cancelled = chargeCancelled, w.now().UTC()
			w.save(b, tableCharges, ch.ID, ch.Seq, ch)
		}
		view = w.chargeView(ch)
		return nil
	})
	return view, err
}

// checkCancel checks that merchantID may cancel ch now. w.mu must be held.
func (w *Wallet) checkCancel(ch *charge, merchantID string) *Error {
	switch {
	case merchantID != ch.MerchantID:
		return newError(http.StatusForbidden, "charge_not_yours", "this charge was sent by another merchant")
	case ch.Status == chargeCancelled:
		return nil
	case ch.Status == chargePaid:
		return newError(http.StatusConflict, "charge_paid", "this charge is paid already: refund the payment instead")
	case ch.paying:
		return newError(http.StatusConflict, "request_in_progress", "a payment of this charge is running")
	case !w.now().Before(ch.Expires):
		return newError(http.StatusGone, "charge_expired", "this charge expired")
	}
	return nil
}
