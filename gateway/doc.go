// Package gateway is the acquirer host's front door: the domain logic behind the ISO 8583
// accept loop of package iso.
//
// A Gateway is a bandeira.Authorizer. For each request it
//
//  1. checks the mandatory fields of the MTI (see mandatory) and answers 30 when one is
//     missing or malformed, 12 for an unsupported MTI or transaction type, and 13 for a
//     foreign currency or a zero amount;
//  2. answers 14 when the PAN fails the Luhn check;
//  3. detects duplicates by the request key (acquirer, terminal, STAN, transmission time;
//     reversals, class 4, in a key space of their own, so a timeout reversal that reuses
//     its original's STAN and field 7 is not its duplicate): a key binds to one body
//     (docs/architecture.md, K1): an identical retransmit or repeat (xx01, xx21) gets the
//     original's answer, waiting for it when it is still in flight, and the same key with
//     a different amount, PAN, processing code or MTI class gets 94;
//  4. routes by card brand to the network Authorizer for that brand (15 when there is none),
//     with the acquirer's request timer; a reversal or completion carries in field 100 the
//     institution ID of the issuer that decided its original, when the gateway remembers it
//     (WithInstitutions);
//  5. has the Acquirer price and journal every approval before answering (a failure answers
//     96 instead of the approval);
//  6. with durable Keys (WithKeys), commits the key's outcome before answering, so a key
//     answered before a restart is answered the same after it (96 when it cannot).
//
// With a store-and-forward queue (WithReversals), the gateway reverses in full every 0100
// or 0200 that moves money and whose outcome it cannot stand behind: answered 91 because
// the network did not decide, an approval answered 96 because it could not be booked or
// recorded, and an approval the front door could not deliver (Undelivered). The queue
// delivers the reversal to the brand's network (ReversalDeliverer), and books it with the
// Acquirer once acknowledged, so the journal moves as the issuer did.
//
// Nothing that fails steps 1 or 2 reaches a network. Network management (0800 sign-on,
// sign-off, echo) never reaches a Gateway: package iso answers it at the transport, and
// one that is passed in anyway gets 12 like any MTI the gateway does not serve. Declines
// are Results with a nil error; an error from a network is returned unchanged for the edge
// to map with bandeira.CodeForError. The package never imports moov; its only I/O is the
// durable key store (Keys, on internal/store).
package gateway
