package wallet

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// NewCard is the body of POST /v1/users/{id}/cards: the card as printed. None of it is
// stored: the wallet keeps the card's network token.
type NewCard struct {
	PAN    string `json:"pan"`
	Expiry string `json:"expiry"` // YYMM
	CVV2   string `json:"cvv2"`
}

// CardView is a card as the API shows it.
type CardView struct {
	ID         string           `json:"id"`
	Brand      bandeira.Brand   `json:"brand"`
	Issuer     string           `json:"issuer"`
	Product    bandeira.Product `json:"product"`
	Last4      string           `json:"last4"`
	TokenLast4 string           `json:"token_last4"`
	Expiry     string           `json:"expiry"`
	Default    bool             `json:"default"`
	Created    time.Time        `json:"created_at"`
}

// AddCard verifies a card with its issuer and tokenizes it (an account verification, an
// 0100 of amount 0 with field 48 tag TR, through the network) and keeps the token. The
// user's first card becomes the default, which receives transfers. Bad fields are 400, an
// expired or unsupported card 422, the same card twice 409, a decline 422 card_declined
// with the reason, and no decision from the network 503.
func (w *Wallet) AddCard(ctx context.Context, call Call, userID string, in NewCard) (CardView, error) {
	kind, id, done, err := w.begin(call)
	defer done()
	if err != nil || kind != "" {
		return w.cardReplay(id, err)
	}
	pan, brand, verr := checkCard(in, w.now())
	if verr != nil {
		return CardView{}, verr
	}
	fingerprint := w.fingerprint(pan)
	c := &card{ID: newID("card"), UserID: userID, Brand: brand, Last4: pan.Last4(), Fingerprint: fingerprint}
	w.mu.Lock()
	_, err = w.user(userID)
	if err == nil && w.cardWith(userID, fingerprint) != nil {
		err = newError(http.StatusConflict, "card_exists", "this card is in the wallet already")
	}
	w.mu.Unlock()
	if err != nil {
		return CardView{}, err
	}
	res, err := w.tokenize(ctx, pan, in, brand, c.ID)
	if err != nil {
		return CardView{}, err
	}
	c.number, c.TokenExpiry, c.Issuer, c.Product = res.Token.Number.Digits(), res.Token.Expiry, res.Issuer, res.Product
	return w.storeCard(ctx, call, c)
}

// storeCard records a tokenized card, the user's default when it is the first.
func (w *Wallet) storeCard(ctx context.Context, call Call, c *card) (CardView, error) {
	var view CardView
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		u := w.users[c.UserID]
		if w.cardWith(c.UserID, c.Fingerprint) != nil {
			return newError(http.StatusConflict, "card_exists", "this card is in the wallet already")
		}
		c.Created, c.Seq = w.now().UTC(), w.nextSeq()
		w.sealToken(c)
		w.addCard(c)
		w.save(b, tableCards, c.ID, c.Seq, c)
		w.bind(b, call, kindCard, c.ID)
		if u.DefaultCard == "" {
			u.DefaultCard = c.ID
			w.save(b, tableUsers, u.ID, u.Seq, u)
		}
		view = w.cardView(c)
		return nil
	})
	if err == nil {
		w.log.Info().Str("user", c.UserID).Str("card", c.ID).Str("brand", string(c.Brand)).Str("issuer", c.Issuer).
			Stringer("token", bandeira.PAN(c.number)).Msg("card added")
	}
	return view, err
}

func (w *Wallet) cardReplay(id string, err error) (CardView, error) {
	if err != nil {
		return CardView{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cardView(w.cards[id]), nil
}

// checkCard checks the fields of a card being added: a Luhn-valid PAN of a brand the
// network has, a YYMM expiry not in the past, a CVV2 of 3 or 4 digits.
func checkCard(in NewCard, now time.Time) (bandeira.PAN, bandeira.Brand, *Error) {
	pan, err := bandeira.ParsePAN(in.PAN)
	if err != nil || !pan.LuhnValid() {
		return "", "", newError(http.StatusBadRequest, "invalid_pan", "pan: want the card number, 12 to 19 digits with a valid check digit")
	}
	if len(in.Expiry) != 4 || !bandeira.IsDigits(in.Expiry) || in.Expiry[2:] < "01" || in.Expiry[2:] > "12" {
		return "", "", newError(http.StatusBadRequest, "invalid_expiry", "expiry: want YYMM, e.g. 3012 for December 2030")
	}
	if (len(in.CVV2) != 3 && len(in.CVV2) != 4) || !bandeira.IsDigits(in.CVV2) {
		return "", "", newError(http.StatusBadRequest, "invalid_cvv2", "cvv2: want the 3 or 4 digits on the back of the card")
	}
	if in.Expiry < fmt.Sprintf("%02d%02d", now.In(brasilia).Year()%100, int(now.In(brasilia).Month())) {
		return "", "", newError(http.StatusUnprocessableEntity, "card_expired", "this card has expired")
	}
	brand := bandeira.BrandOf(pan)
	if brand == "" {
		return "", "", newError(http.StatusUnprocessableEntity, "unsupported_card", "the wallet takes Visa and Mastercard cards")
	}
	return pan, brand, nil
}

// tokenize sends the account verification with the token request for reference and
// returns the approval, which carries the token.
func (w *Wallet) tokenize(ctx context.Context, pan bandeira.PAN, in NewCard, brand bandeira.Brand, reference string) (bandeira.Result, error) {
	acc := w.p2pAcceptor(brand)
	k, err := w.keyFor(ctx, acc)
	if err != nil {
		return bandeira.Result{}, err
	}
	a := w.request(bandeira.MTIAuthorization, procPurchase, pan, in.Expiry, 0, acc, k)
	a.CVV2 = in.CVV2
	a.TokenRequest = &bandeira.TokenRequest{RequestorID: w.cfg.RequestorID, Reference: reference}
	out := w.send(ctx, a)
	switch {
	case out.unknown:
		w.m.Tokenizations.WithLabelValues("failed").Inc()
		return bandeira.Result{}, newError(http.StatusServiceUnavailable, "network_unavailable",
			"the card network did not answer (%s): try again", out.res.Code)
	case !out.res.Code.Approved():
		w.m.Tokenizations.WithLabelValues("declined").Inc()
		return bandeira.Result{}, newError(http.StatusUnprocessableEntity, "card_declined",
			"the card was not verified: %s (%s)", reason(out.res.Code), out.res.Code)
	case out.res.Token == nil:
		w.m.Tokenizations.WithLabelValues("declined").Inc()
		return bandeira.Result{}, newError(http.StatusUnprocessableEntity, "unsupported_card",
			"the card's network issued no token for it")
	}
	w.m.Tokenizations.WithLabelValues("approved").Inc()
	return out.res, nil
}

// fingerprint is a keyed hash of a PAN, to recognise a card without keeping its number.
func (w *Wallet) fingerprint(pan bandeira.PAN) string {
	m := hmac.New(sha256.New, w.secret)
	m.Write([]byte("card|" + pan.Digits()))
	return hex.EncodeToString(m.Sum(nil))
}

// cardWith returns the user's card with fingerprint, or nil. w.mu must be held.
func (w *Wallet) cardWith(userID, fingerprint string) *card {
	for _, id := range w.userCards[userID] {
		if c := w.cards[id]; c.Fingerprint == fingerprint {
			return c
		}
	}
	return nil
}

// Cards returns a user's cards, oldest first.
func (w *Wallet) Cards(userID string) ([]CardView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.user(userID); err != nil {
		return nil, err
	}
	out := []CardView{}
	for _, id := range w.userCards[userID] {
		out = append(out, w.cardView(w.cards[id]))
	}
	return out, nil
}

// DefaultCard is the body of PUT /v1/users/{id}/default-card.
type DefaultCard struct {
	CardID string `json:"card_id"`
}

// SetDefaultCard makes one of the user's cards the one that receives transfers.
func (w *Wallet) SetDefaultCard(ctx context.Context, userID string, in DefaultCard) (CardView, error) {
	var view CardView
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		u, err := w.user(userID)
		if err != nil {
			return err
		}
		c, cerr := w.cardOf(u, in.CardID)
		if cerr != nil {
			return cerr
		}
		u.DefaultCard = c.ID
		w.save(b, tableUsers, u.ID, u.Seq, u)
		view = w.cardView(c)
		return nil
	})
	return view, err
}

// cardOf returns u's card with id: 404 for an unknown card, 403 for another user's.
// w.mu must be held.
func (w *Wallet) cardOf(u *user, id string) (*card, *Error) {
	c, ok := w.cards[id]
	switch {
	case !validID(id, "card") || !ok || !c.Removed.IsZero():
		return nil, errNotFound("card")
	case c.UserID != u.ID:
		return nil, newError(http.StatusForbidden, "card_not_owned", "this card belongs to another user")
	}
	return c, nil
}

// cardView shows c. w.mu must be held.
func (w *Wallet) cardView(c *card) CardView {
	return CardView{ID: c.ID, Brand: c.Brand, Issuer: c.Issuer, Product: c.Product, Last4: c.Last4,
		TokenLast4: c.TokenLast4, Expiry: c.TokenExpiry, Default: w.users[c.UserID].DefaultCard == c.ID,
		Created: c.Created}
}

// ResetPIN is the body of POST /v1/users/{id}/pin/reset: one of the user's cards as
// printed, and the new PIN.
type ResetPIN struct {
	CardID string `json:"card_id"`
	PAN    string `json:"pan"`
	Expiry string `json:"expiry"`
	CVV2   string `json:"cvv2"`
	PIN    string `json:"pin"`
}

// ResetPIN sets a new PIN and lifts the lock, once the user proves they hold one of their
// cards: the card is verified with its issuer again and its token service must answer
// with the token the wallet keeps for it (it binds the card's reference to that card).
func (w *Wallet) ResetPIN(ctx context.Context, userID string, in ResetPIN) (UserView, error) {
	if err := checkNewPIN(in.PIN); err != nil {
		return UserView{}, err
	}
	printed := NewCard{PAN: in.PAN, Expiry: in.Expiry, CVV2: in.CVV2}
	pan, brand, verr := checkCard(printed, w.now())
	if verr != nil {
		return UserView{}, verr
	}
	w.mu.Lock()
	u, err := w.user(userID)
	var c *card
	if err == nil {
		c, verr = w.cardOf(u, in.CardID)
	}
	w.mu.Unlock()
	switch {
	case err != nil:
		return UserView{}, err
	case verr != nil:
		return UserView{}, verr
	}
	res, err := w.tokenize(ctx, pan, printed, brand, c.ID)
	if err != nil {
		return UserView{}, err
	}
	if res.Token.Number.Digits() != c.number {
		return UserView{}, newError(http.StatusForbidden, "card_mismatch", "this is not the card the wallet holds as %s", in.CardID)
	}
	w.log.Info().Str("user", u.ID).Str("card", c.ID).Msg("PIN reset with a card")
	return w.storePIN(ctx, u, in.PIN)
}
