package wallet

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// A user's bearer token is what POST /v1/users answers with, once per registration (and
// again on a replay of it): "<user ID>.<MAC>", the MAC being HMAC-SHA-256 of the user ID
// under a key derived from the wallet's secret key (secret.key). The wallet stores no
// token: it recomputes the MAC to check one, so a token never expires and cannot be
// revoked short of replacing secret.key (which also voids every PIN hash). Every route
// that acts for a user, or reads what is theirs, needs that user's token in
// Authorization: Bearer.

// tokenContext separates the token's MAC from the other uses of the secret key.
const tokenContext = "bandeira wallet bearer token v1\x00"

// sessionToken returns userID's bearer token.
func (w *Wallet) sessionToken(userID string) string {
	return userID + "." + base64.RawURLEncoding.EncodeToString(w.tokenMAC(userID))
}

func (w *Wallet) tokenMAC(userID string) []byte {
	m := hmac.New(sha256.New, w.secret)
	m.Write([]byte(tokenContext + userID))
	return m.Sum(nil)
}

// bearer returns the user whose token r carries: 401 unauthorized when it carries none,
// or one the wallet did not issue.
func (w *Wallet) bearer(r *http.Request) (string, *Error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errUnauthorized("send the user's token as Authorization: Bearer <token>")
	}
	id, mac, ok := strings.Cut(strings.TrimSpace(token), ".")
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if !ok || err != nil || !validID(id, "usr") || !hmac.Equal(got, w.tokenMAC(id)) {
		return "", errUnauthorized("this token was not issued by the wallet")
	}
	return id, nil
}

func errUnauthorized(msg string) *Error {
	return newError(http.StatusUnauthorized, "unauthorized", "%s", msg)
}

// authorize requires r to carry the token of one of owners. Owners that are not users
// are left out: when none is, the request goes on and the operation answers 404 (or 400)
// for them, whoever asks. A token of another user is 403 forbidden.
func (w *Wallet) authorize(r *http.Request, owners ...string) error {
	w.mu.Lock()
	owners = slices.DeleteFunc(slices.Clone(owners), func(id string) bool { _, ok := w.users[id]; return !ok })
	w.mu.Unlock()
	if len(owners) == 0 {
		return nil
	}
	who, err := w.bearer(r)
	if err != nil {
		return err
	}
	if !slices.Contains(owners, who) {
		return newError(http.StatusForbidden, "forbidden", "this token is another user's")
	}
	return nil
}

// paymentOwner returns the user who made payment id, "" for none.
func (w *Wallet) paymentOwner(id string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.payments[id]; ok {
		return p.UserID
	}
	return ""
}

// transferOwners returns the sender and the recipient of transfer id, none for none.
func (w *Wallet) transferOwners(id string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t, ok := w.transfers[id]; ok {
		return []string{t.FromUser, t.ToUser}
	}
	return nil
}
