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
	payments, transfers := w.interrupted()
	if len(payments)+len(transfers) == 0 {
		return nil
	}
	var reversals []bandeira.Authorization
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		for _, p := range payments {
			reversals = append(reversals, w.reversalOfPayment(b, p))
		}
		for _, t := range transfers {
			reversals = append(reversals, w.reversalsOfTransfer(b, t)...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("taking keys for the reversals of interrupted requests: %w", err)
	}
	for _, r := range reversals {
		if err := w.safStore.Enqueue(ctx, reversalQueue, r); err != nil {
			return fmt.Errorf("queueing the reversals of interrupted requests: %w", err)
		}
		w.m.Reversals.WithLabelValues("queued").Inc()
	}
	w.log.Warn().Int("payments", len(payments)).Int("transfers", len(transfers)).Int("reversals", len(reversals)).
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

// interrupted returns the payments and transfers recorded without an outcome.
func (w *Wallet) interrupted() ([]*payment, []*transfer) {
	var payments []*payment
	var transfers []*transfer
	for _, p := range w.payments {
		if p.Status == statusPending {
			payments = append(payments, p)
		}
	}
	for _, t := range w.transfers {
		if t.Status == statusPending || t.Status == statusPulled {
			transfers = append(transfers, t)
		}
	}
	return payments, transfers
}

// reversalOfPayment rebuilds the reversal of a payment's purchase. w.mu must be held.
func (w *Wallet) reversalOfPayment(b *store.Batch[store.Upserts], p *payment) bandeira.Authorization {
	c := w.cards[p.CardID]
	acc := w.merchantAcceptor(w.merchants[p.MerchantID])
	acc.id, acc.terminal = p.MerchantID, p.Key.Terminal
	orig := w.request(bandeira.MTIFinancial, procPurchase, bandeira.PAN(c.number), "", p.Amount, acc, p.Key)
	return w.freshReversal(b, orig, acc)
}

// reversalsOfTransfer rebuilds the reversals of a transfer's legs that may have gone
// out: the push (when it was about to be sent), then the pull. w.mu must be held.
func (w *Wallet) reversalsOfTransfer(b *store.Batch[store.Upserts], t *transfer) []bandeira.Authorization {
	var out []bandeira.Authorization
	if t.Status == statusPulled {
		c := w.cards[t.ToCardID]
		acc := w.p2pAcceptor(c.Brand)
		push := w.request(bandeira.MTIFinancial, procCredit, bandeira.PAN(c.number), "", t.Amount, acc, t.Push)
		out = append(out, w.freshReversal(b, push, acc))
	}
	c := w.cards[t.CardID]
	acc := w.p2pAcceptor(c.Brand)
	pull := w.request(bandeira.MTIFinancial, procFunding, bandeira.PAN(c.number), "", t.Amount, acc, t.Pull)
	return append(out, w.freshReversal(b, pull, acc))
}

// freshReversal is the reversal of orig under a new key. w.mu must be held.
func (w *Wallet) freshReversal(b *store.Batch[store.Upserts], orig bandeira.Authorization, acc acceptor) bandeira.Authorization {
	r := w.reversal(orig)
	k := w.newKey(b, acc)
	r.STAN, r.TransmissionTime = k.STAN, k.TransmissionTime
	return r
}
