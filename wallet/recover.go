package wallet

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// recover finishes what a crash left in flight: a payment or a transfer recorded before
// its request went out but without an outcome may have moved money, so every request it
// may have sent is reversed through the store-and-forward queue (a reversal of a request
// that never arrived is acknowledged and changes nothing), and it is recorded as failed.
// It runs at Open, before the wallet serves.
func (w *Wallet) recover(ctx context.Context) error {
	var pending []bandeira.Authorization
	var payments []*payment
	var transfers []*transfer
	for _, p := range w.payments {
		if p.Status == statusPending {
			pending = append(pending, w.reversalOfPayment(p))
			payments = append(payments, p)
		}
	}
	for _, t := range w.transfers {
		if t.Status == statusPending || t.Status == statusPulled {
			pending = append(pending, w.reversalsOfTransfer(t)...)
			transfers = append(transfers, t)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	for _, r := range pending {
		if err := w.safStore.Enqueue(ctx, reversalQueue, r); err != nil {
			return fmt.Errorf("queueing the reversals of interrupted requests: %w", err)
		}
		w.m.Reversals.WithLabelValues("queued").Inc()
	}
	w.log.Warn().Int("payments", len(payments)).Int("transfers", len(transfers)).Int("reversals", len(pending)).
		Msg("reversing what the last run left without an answer")
	return w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		why := "interrupted before the network answered; reversed"
		for _, p := range payments {
			p.Status, p.Code, p.Reason, p.Reversal = statusFailed, string(bandeira.SystemMalfunction), why, reversalQueued
			w.save(b, tablePayments, p.ID, p.Seq, p)
		}
		for _, t := range transfers {
			t.Status, t.Code, t.Reason, t.Reversal = statusFailed, string(bandeira.SystemMalfunction), why, reversalQueued
			w.save(b, tableTransfers, t.ID, t.Seq, t)
		}
		return nil
	})
}

// reversalOfPayment rebuilds the reversal of a payment's purchase.
func (w *Wallet) reversalOfPayment(p *payment) bandeira.Authorization {
	c := w.cards[p.CardID]
	acc := w.merchantAcceptor(w.merchants[p.MerchantID])
	acc.terminal = p.Key.Terminal
	orig := w.request(bandeira.MTIFinancial, procPurchase, bandeira.PAN(c.Token), "", p.Amount, acc, p.Key)
	return w.freshReversal(orig, acc)
}

// reversalsOfTransfer rebuilds the reversals of a transfer's legs that may have gone
// out: the push (when it was about to be sent), then the pull.
func (w *Wallet) reversalsOfTransfer(t *transfer) []bandeira.Authorization {
	var out []bandeira.Authorization
	if t.Status == statusPulled {
		c := w.cards[t.ToCardID]
		acc := w.p2pAcceptor(c.Brand)
		out = append(out, w.freshReversal(w.request(bandeira.MTIFinancial, procCredit, bandeira.PAN(c.Token), "", t.Amount, acc, t.Push), acc))
	}
	c := w.cards[t.CardID]
	acc := w.p2pAcceptor(c.Brand)
	return append(out, w.freshReversal(w.request(bandeira.MTIFinancial, procFunding, bandeira.PAN(c.Token), "", t.Amount, acc, t.Pull), acc))
}

// freshReversal is the reversal of orig under a new key. It runs before the wallet is
// shared, so it may take sequence numbers without the lock.
func (w *Wallet) freshReversal(orig bandeira.Authorization, acc acceptor) bandeira.Authorization {
	r := w.reversal(orig)
	k := w.newKey(acc)
	r.STAN, r.TransmissionTime = k.STAN, k.TransmissionTime
	return r
}
