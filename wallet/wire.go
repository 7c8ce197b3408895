package wallet

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// brasilia is Brazil's official time (UTC−3, no daylight saving since 2019): fields 12
// and 13, the day of the daily limits.
var brasilia = time.FixedZone("BRT", -3*60*60)

// Processing codes (field 3) the wallet sends.
const (
	procPurchase = "000000" // a catalog payment; with amount 0 on an 0100, an account verification
	procFunding  = "100000" // the pull of a transfer: account funding
	procCredit   = "260000" // the push of a transfer: original credit
)

// acceptor is the card acceptor of a request: the merchant, or the wallet processor for
// transfers.
type acceptor struct {
	id, name, city, terminal, mcc string
}

// merchantAcceptor is a merchant as the acceptor of its wallet sales: its ID, name, city
// and MCC, at the wallet's own terminal (wallet.p2p.terminal_id), so the wallet's STANs
// never collide with those of the merchant's other terminals.
func (w *Wallet) merchantAcceptor(m Merchant) acceptor {
	return acceptor{id: m.ID, name: m.Name, city: m.City, terminal: w.cfg.P2P.TerminalID, mcc: m.MCC}
}

func (w *Wallet) p2pAcceptor(brand bandeira.Brand) acceptor {
	p := w.cfg.P2P
	mcc := p.MCCVisa
	if brand == bandeira.Mastercard {
		mcc = p.MCCMaster
	}
	return acceptor{id: p.ID, name: p.Name, city: p.City, terminal: p.TerminalID, mcc: mcc}
}

// newKey returns a fresh request key at acc's terminal: the next STAN (1 to 999999, then
// round again), recorded in b so that no STAN is used twice across restarts. w.mu must be
// held (inside Writer.Do).
func (w *Wallet) newKey(b *store.Batch[store.Upserts], acc acceptor) msgKey {
	w.stan = w.stan%999_999 + 1
	b.Changes.Put(tableMeta, metaSTAN, metaSTAN, w.stan, strconv.FormatInt(w.stan, 10))
	at := w.now().UTC().Truncate(time.Second)
	return msgKey{STAN: fmt.Sprintf("%06d", w.stan), TransmissionTime: at.Format("0102150405"),
		Terminal: acc.terminal, At: at}
}

// keyFor takes a fresh request key in a commit of its own, for requests that record
// nothing else before they go out (verifications, reversals).
func (w *Wallet) keyFor(ctx context.Context, acc acceptor) (msgKey, error) {
	var k msgKey
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		k = w.newKey(b, acc)
		return nil
	})
	return k, err
}

// request builds a card-not-present request (e-commerce, entry mode 812, condition 59)
// from the wallet at acc under key k.
func (w *Wallet) request(mti bandeira.MTI, proc string, pan bandeira.PAN, expiry string, amount bandeira.Amount, acc acceptor, k msgKey) bandeira.Authorization {
	utc, local := k.At.UTC(), k.At.In(brasilia)
	return bandeira.Authorization{
		MTI: mti, PAN: pan, ProcessingCode: proc, Amount: amount, AmountPresent: true,
		TransmissionTime: k.TransmissionTime, STAN: k.STAN, LocalTime: local.Format("150405"),
		LocalDate: local.Format("0102"), Expiry: expiry, MCC: acc.mcc, Country: "076", POSEntryMode: "812",
		POSCondition: "59", AcquirerID: w.opts.AcquirerID,
		RRN:        fmt.Sprintf("%d%03d%02d%s", utc.Year()%10, utc.YearDay(), utc.Hour(), k.STAN),
		TerminalID: acc.terminal, MerchantID: acc.id, MerchantName: nameLocation(acc.name, acc.city),
		Currency: bandeira.CurrencyBRL,
	}
}

// nameLocation formats field 43: name (22) + city (13) + country (3).
func nameLocation(name, city string) string {
	return fmt.Sprintf("%-22.22s%-13.13s%s", name, city, "BRA")
}

// sign adds the token's cryptogram with its next counter to a. w.mu must be held, and
// the card saved in the same batch, so a counter is never used twice.
func (w *Wallet) sign(a *bandeira.Authorization, c *card) {
	c.Counter++
	key := bandeira.TokenKey(w.opts.RequestorKey, a.PAN)
	a.Cryptogram = &bandeira.Cryptogram{Value: bandeira.TokenCryptogram(key, a, c.Counter), Counter: c.Counter}
}

// outcome is what came back for a request that moves money.
type outcome struct {
	res     bandeira.Result
	unknown bool // no decision: the request may have moved money and must be reversed
}

// send sends a to the gateway within the request timer. An error, 91 or 96 leaves the
// outcome unknown.
func (w *Wallet) send(ctx context.Context, a bandeira.Authorization) outcome {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.RequestTimeout)
	defer cancel()
	res, err := w.gw.Authorize(ctx, a)
	if err != nil {
		w.log.Warn().Err(err).Str("mti", string(a.MTI)).Str("stan", a.STAN).Stringer("pan", a.PAN).
			Msg("no answer from the gateway")
		return outcome{res: bandeira.Result{Code: bandeira.CodeForError(err)}, unknown: true}
	}
	w.log.Debug().Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("processing_code", a.ProcessingCode).
		Stringer("pan", a.PAN).Str("response_code", string(res.Code)).Msg("gateway answered")
	return outcome{res: res, unknown: res.Code == bandeira.IssuerUnavailable || res.Code == bandeira.SystemMalfunction || res.Code == ""}
}

// reversal is the 0400 that reverses orig: the same card, amount, processing code and
// acceptor, field 90 naming orig, and no expiry or cryptogram (the caller sets its key).
func (w *Wallet) reversal(orig bandeira.Authorization) bandeira.Authorization {
	r := orig
	r.MTI, r.Expiry, r.Cryptogram, r.CVV2 = bandeira.MTIReversal, "", nil, ""
	r.Original = &bandeira.OriginalData{MTI: orig.MTI, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime,
		AcquirerID: fmt.Sprintf("%011s", orig.AcquirerID)}
	return r
}

// reverse reverses orig: at once when the gateway acknowledges it, otherwise through the
// store-and-forward queue, which repeats it until it is answered. It returns the reversal
// state to record. The reversal's own key is fresh (it is taken under w.mu).
func (w *Wallet) reverse(ctx context.Context, orig bandeira.Authorization, acc acceptor) string {
	r := w.reversal(orig)
	k, err := w.keyFor(ctx, acc)
	if err != nil { // the store failed: the next start reverses what is still in flight
		w.log.Error().Err(err).Str("original_stan", orig.STAN).Msg("could not take a key for a reversal")
		return reversalQueued
	}
	r.STAN, r.TransmissionTime = k.STAN, k.TransmissionTime
	if out := w.send(ctx, r); !out.unknown && out.res.Code.Approved() {
		w.m.Reversals.WithLabelValues("acknowledged").Inc()
		return reversalSent
	}
	w.queueReversal(ctx, r)
	return reversalQueued
}

// queueReversal stores a reversal for the store-and-forward queue; a failure to store it
// is logged, since the caller has nothing better to do.
func (w *Wallet) queueReversal(ctx context.Context, r bandeira.Authorization) {
	if err := w.safStore.Enqueue(context.WithoutCancel(ctx), reversalQueue, r); err != nil {
		w.log.Error().Err(err).Str("stan", r.STAN).Str("original_stan", r.Original.STAN).
			Msg("could not queue a reversal; reverse it by hand")
		return
	}
	w.m.Reversals.WithLabelValues("queued").Inc()
}

// reason is the words the wallet shows for a response code.
func reason(code bandeira.ResponseCode) string {
	switch code {
	case bandeira.Approved:
		return ""
	case bandeira.DoNotHonour:
		return "Do not honour: declined by the card's bank or the card network"
	case bandeira.IssuerUnavailable, bandeira.SystemMalfunction, "":
		return "No answer from the card network; nothing was charged"
	}
	if m := code.Meaning(); m != "" {
		return m
	}
	return "Declined (" + strings.TrimSpace(string(code)) + ")"
}
