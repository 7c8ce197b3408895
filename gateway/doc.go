// Package gateway is the acquirer host's front door: the domain logic behind the ISO 8583
// accept loop of package iso.
//
// A Gateway is a bandeira.Authorizer. For each request it
//
//  1. checks the mandatory fields of the MTI (see mandatory) and answers 30 when one is
//     missing or malformed, 12 for an unsupported MTI or transaction type, and 13 for a
//     foreign currency or a zero amount;
//  2. answers 14 when the PAN fails the Luhn check;
//  3. detects duplicates by the request key (acquirer, terminal, STAN, transmission time):
//     a key binds to one body (reliability.md I4): an identical retransmit or repeat
//     (xx01, xx21) gets the original's answer, waiting for it when it is still in flight,
//     and the same key with a different amount, PAN, processing code or MTI class gets 94;
//  4. routes by card brand to the network Authorizer for that brand (15 when there is none),
//     with the acquirer's request timer;
//  5. prices approved purchases and cash withdrawals with the Pricer and, when a Journal
//     is set, records every approved sale, refund, reversal and completion in it before
//     answering (a journal failure answers 96 instead of the approval).
//
// Nothing that fails steps 1 or 2 reaches a network. Network management (0800 sign-on,
// sign-off, echo) never reaches a Gateway: package iso answers it at the transport, and
// one that is passed in anyway gets 12 like any MTI the gateway does not serve. Declines
// are Results with a nil error; an error from a network is returned unchanged for the edge
// to map with bandeira.CodeForError. The package does no I/O of its own and never imports moov.
package gateway
