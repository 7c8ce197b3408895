package wallet

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/bandeira/bandeira/internal/store"
)

// NewDevice is the body of POST /v1/users/{id}/devices.
type NewDevice struct {
	Name string `json:"name"`
	// PublicKey is the device's public key as base64 (standard or URL alphabet) of its
	// SubjectPublicKeyInfo DER: what WebCrypto's exportKey("spki") gives. ECDSA P-256 or
	// Ed25519.
	PublicKey    string        `json:"public_key"`
	Confirmation *Confirmation `json:"confirmation"`
}

// DeviceView is a device as the API shows it.
type DeviceView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Algorithm string    `json:"algorithm"`
	Created   time.Time `json:"created_at"`
}

// NewChallenge is the body of POST /v1/challenges.
// For is required: what the challenge will confirm.
type NewChallenge struct {
	UserID   string   `json:"user_id"`
	DeviceID string   `json:"device_id"`
	For      *Purpose `json:"for"`
}

// ChallengeView is a challenge for a device to sign: it signs the UTF-8 bytes of Message,
// which spells out the challenge, its nonce, user, device and what it confirms (For).
type ChallengeView struct {
	ID      string    `json:"id"`
	Nonce   string    `json:"nonce"`
	For     Purpose   `json:"for"`
	Message string    `json:"message"`
	Expires time.Time `json:"expires_at"`
}

func challengeView(ch *challenge) ChallengeView {
	return ChallengeView{ID: ch.ID, Nonce: ch.Nonce, For: ch.For, Message: ch.message(), Expires: ch.Expires}
}

// The device key algorithms.
const (
	algES256   = "ES256"   // ECDSA P-256 with SHA-256
	algEd25519 = "Ed25519" // Ed25519
)

// maxDevices is how many devices a user may register.
const maxDevices = 10

// RegisterDevice registers a device key for u, confirmed with the user's PIN (or another
// device). A key that is not base64 SPKI of ECDSA P-256 or Ed25519 is 400.
func (w *Wallet) RegisterDevice(ctx context.Context, call Call, userID string, in NewDevice) (DeviceView, error) {
	kind, id, done, err := w.begin(call)
	defer done()
	if err != nil || kind != "" {
		if err != nil {
			return DeviceView{}, err
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		return deviceView(w.devices[id]), nil
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = "device"
	}
	if err := checkName(name); err != nil {
		return DeviceView{}, errInvalid("name: want 1 to 60 characters")
	}
	der, alg, kerr := parsePublicKey(in.PublicKey)
	if kerr != nil {
		return DeviceView{}, kerr
	}
	w.mu.Lock()
	u, err := w.user(userID)
	w.mu.Unlock()
	if err != nil {
		return DeviceView{}, err
	}
	if err := w.confirm(ctx, u, in.Confirmation, Purpose{Operation: opDeviceRegistration}); err != nil {
		return DeviceView{}, err
	}
	d := &device{ID: newID("dev"), UserID: u.ID, Name: name, PublicKey: der, Algorithm: alg, Created: w.now().UTC()}
	err = w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		if len(w.userDevices(u.ID)) >= maxDevices {
			return newError(http.StatusConflict, "too_many_devices", "a user may register at most %d devices", maxDevices)
		}
		d.Seq = w.nextSeq()
		w.devices[d.ID] = d
		w.save(b, tableDevices, d.ID, d.Seq, d)
		w.bind(b, call, kindDevice, d.ID)
		return nil
	})
	return deviceView(d), err
}

// Devices returns a user's devices, oldest first.
func (w *Wallet) Devices(userID string) ([]DeviceView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.user(userID); err != nil {
		return nil, err
	}
	out := []DeviceView{}
	for _, d := range w.userDevices(userID) {
		out = append(out, deviceView(d))
	}
	return out, nil
}

// userDevices returns the user's devices in sequence order. w.mu must be held.
func (w *Wallet) userDevices(userID string) []*device {
	var out []*device
	for _, d := range w.devices {
		if d.UserID == userID {
			out = append(out, d)
		}
	}
	sortBySeq(out, func(d *device) int64 { return d.Seq })
	return out
}

func deviceView(d *device) DeviceView {
	return DeviceView{ID: d.ID, Name: d.Name, Algorithm: d.Algorithm, Created: d.Created}
}

// Challenge issues a one-time challenge for a user's device, valid for ChallengeTTL, that
// confirms only the operation in.For names (400 without one).
func (w *Wallet) Challenge(ctx context.Context, call Call, in NewChallenge) (ChallengeView, error) {
	kind, id, done, err := w.begin(call)
	defer done()
	if err != nil || kind != "" {
		if err != nil {
			return ChallengeView{}, err
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		ch, ok := w.challenges[id]
		if !ok {
			return ChallengeView{}, errNotFound("challenge") // spent long ago and forgotten
		}
		return challengeView(ch), nil
	}
	if err := in.For.check(); err != nil {
		return ChallengeView{}, err
	}
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce) // crypto/rand never fails on supported systems
	ch := &challenge{ID: newID("chl"), UserID: in.UserID, DeviceID: in.DeviceID,
		Nonce: base64.RawURLEncoding.EncodeToString(nonce), For: *in.For, Expires: w.now().UTC().Add(w.cfg.ChallengeTTL)}
	err = w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		if _, err := w.user(in.UserID); err != nil {
			return err
		}
		if d, ok := w.devices[in.DeviceID]; !ok || d.UserID != in.UserID {
			return errNotFound("device")
		}
		w.dropSpentChallenges()
		ch.Seq = w.nextSeq()
		w.challenges[ch.ID] = ch
		w.save(b, tableChallenges, ch.ID, ch.Seq, ch)
		w.bind(b, call, "challenge", ch.ID)
		return nil
	})
	return challengeView(ch), err
}

// dropSpentChallenges forgets, in memory, the challenges used or expired over an hour
// ago: they can never confirm anything again, and answering 404 for them is as good as
// 409 or 410. Their rows stay on disk. w.mu must be held.
func (w *Wallet) dropSpentChallenges() {
	cutoff := w.now().Add(-time.Hour)
	for id, ch := range w.challenges {
		if ch.Expires.Before(cutoff) {
			delete(w.challenges, id)
		}
	}
}

// parsePublicKey decodes a device key: base64 of SPKI DER, ECDSA P-256 or Ed25519.
func parsePublicKey(s string) ([]byte, string, *Error) {
	bad := newError(http.StatusBadRequest, "invalid_public_key",
		"public_key: want base64 of an ECDSA P-256 or Ed25519 public key in SPKI form (WebCrypto exportKey \"spki\")")
	der, err := decodeBase64(s)
	if err != nil || len(der) == 0 || len(der) > 512 {
		return nil, "", bad
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, "", bad
	}
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, "", bad
		}
		return der, algES256, nil
	case ed25519.PublicKey:
		return der, algEd25519, nil
	}
	return nil, "", bad
}

// decodeBase64 reads standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// verifySignature reports whether sig (base64) is d's signature of the UTF-8 bytes of
// msg. An ECDSA signature may be WebCrypto's 64-byte r‖s or ASN.1 DER.
func verifySignature(d *device, msg, sig string) bool {
	raw, err := decodeBase64(sig)
	if err != nil || len(raw) == 0 || len(raw) > 256 {
		return false
	}
	key, err := x509.ParsePKIXPublicKey(d.PublicKey)
	if err != nil {
		return false
	}
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		digest := sha256.Sum256([]byte(msg))
		if len(raw) == 64 {
			r, s := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
			return ecdsa.Verify(k, digest[:], r, s)
		}
		return ecdsa.VerifyASN1(k, digest[:], raw)
	case ed25519.PublicKey:
		return ed25519.Verify(k, []byte(msg), raw)
	}
	return false
}
