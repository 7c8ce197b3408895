package wallet

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bandeira/bandeira/internal/store"
)

// NewUser is the body of POST /v1/users.
type NewUser struct {
	Phone string `json:"phone"`
	Name  string `json:"name"`
}

// UserView is a user as the API shows it.
type UserView struct {
	ID            string    `json:"id"`
	Phone         string    `json:"phone"`
	Name          string    `json:"name"`
	Created       time.Time `json:"created_at"`
	PINSet        bool      `json:"pin_set"`
	PINLocked     bool      `json:"pin_locked"`
	DefaultCardID string    `json:"default_card_id,omitempty"`
}

// CreatedUser is the answer to POST /v1/users: the user and the bearer token that every
// request acting for the user must carry (Authorization: Bearer). A replay of the request
// (the same Idempotency-Key) answers the same token.
type CreatedUser struct {
	UserView
	Token string `json:"token"`
}

// e164 is a phone number in E.164: +, a country code not starting with 0, 8 to 15
// digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// maxNameLen is the longest user name, in characters.
const maxNameLen = 60

// CreateUser registers a user. A phone that is not E.164 or a name that is empty, longer
// than 60 characters or holds control characters is 400; a phone already registered 409.
func (w *Wallet) CreateUser(ctx context.Context, call Call, in NewUser) (UserView, error) {
	kind, id, done, err := w.begin(call)
	defer done()
	if err != nil || kind != "" {
		return w.userReplay(id, err)
	}
	name := strings.TrimSpace(in.Name)
	if !e164.MatchString(in.Phone) {
		return UserView{}, errInvalid("phone: want E.164, a + and 8 to 15 digits, e.g. +5511987654321")
	}
	if err := checkName(name); err != nil {
		return UserView{}, err
	}
	u := &user{ID: newID("usr"), Phone: in.Phone, Name: name, Created: w.now().UTC()}
	err = w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		if _, taken := w.phones[in.Phone]; taken {
			return newError(http.StatusConflict, "phone_taken", "a user with this phone is already registered")
		}
		u.Seq = w.nextSeq()
		w.addUser(u)
		w.save(b, tableUsers, u.ID, u.Seq, u)
		w.bind(b, call, kindUser, u.ID)
		return nil
	})
	if err != nil {
		return UserView{}, err
	}
	return w.User(u.ID)
}

func (w *Wallet) userReplay(id string, err error) (UserView, error) {
	if err != nil {
		return UserView{}, err
	}
	return w.User(id)
}

func checkName(name string) *Error {
	if name == "" || utf8.RuneCountInString(name) > maxNameLen || !utf8.ValidString(name) {
		return errInvalid("name: want 1 to 60 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return errInvalid("name: control characters are not allowed")
		}
	}
	return nil
}

// User returns a user's view, 404 for an unknown one.
func (w *Wallet) User(id string) (UserView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	u, err := w.user(id)
	if err != nil {
		return UserView{}, err
	}
	return w.userView(u), nil
}

// Users returns every user, oldest first, or only the one with phone when it is set.
func (w *Wallet) Users(phone string) []UserView {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []UserView
	for _, u := range w.users {
		if phone == "" || u.Phone == phone {
			out = append(out, w.userView(u))
		}
	}
	sort.Slice(out, func(i, k int) bool { return w.users[out[i].ID].Seq < w.users[out[k].ID].Seq })
	return out
}

// user returns the user with id. w.mu must be held.
func (w *Wallet) user(id string) (*user, error) {
	if !validID(id, "usr") {
		return nil, errNotFound("user")
	}
	u, ok := w.users[id]
	if !ok {
		return nil, errNotFound("user")
	}
	return u, nil
}

// userView shows u. w.mu must be held.
func (w *Wallet) userView(u *user) UserView {
	return UserView{ID: u.ID, Phone: u.Phone, Name: u.Name, Created: u.Created, PINSet: u.PIN != nil,
		PINLocked: w.locked(u), DefaultCardID: u.DefaultCard}
}

// locked reports whether wrong PINs have locked u's payments. w.mu must be held.
func (w *Wallet) locked(u *user) bool { return u.PINFailures >= w.cfg.PIN.Tries }

// SetPIN is the body of PUT /v1/users/{id}/pin.
type SetPIN struct {
	PIN          string        `json:"pin"`
	Confirmation *Confirmation `json:"confirmation"`
}

// SetPIN sets a user's PIN: the first time without a confirmation, afterwards confirmed
// with the current PIN or a device. A PIN that is not 6 digits is 400, a trivial one 422;
// a locked user resets the PIN with ResetPIN instead (423 here).
func (w *Wallet) SetPIN(ctx context.Context, userID string, in SetPIN) (UserView, error) {
	if err := checkNewPIN(in.PIN); err != nil {
		return UserView{}, err
	}
	w.mu.Lock()
	u, err := w.user(userID)
	hasPIN := err == nil && u.PIN != nil
	w.mu.Unlock()
	if err != nil {
		return UserView{}, err
	}
	if hasPIN {
		if in.Confirmation == nil {
			return UserView{}, newError(http.StatusBadRequest, "confirmation_required",
				"changing a PIN needs a confirmation with the current PIN or a device")
		}
		if err := w.confirm(ctx, u, in.Confirmation, Purpose{Operation: opPINChange}); err != nil {
			return UserView{}, err
		}
	}
	return w.storePIN(ctx, u, in.PIN)
}

// storePIN hashes pin (slowly, outside the lock) and stores it, clearing the failures.
func (w *Wallet) storePIN(ctx context.Context, u *user, pin string) (UserView, error) {
	h, err := hashPIN(pin, w.secret, w.cfg.PIN.Iterations)
	if err != nil {
		return UserView{}, err
	}
	var view UserView
	err = w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		u.PIN, u.PINFailures = h, 0
		w.save(b, tableUsers, u.ID, u.Seq, u)
		view = w.userView(u)
		return nil
	})
	return view, err
}
