// Package wallet is the front end the whole story starts from: a WhatsApp Pay-like wallet
// (Facebook Pay, June 2020 in Brazil) that people use to add a card once, buy from a
// small business's WhatsApp catalog, pay a merchant's charge in the chat and send money to
// a phone number, confirming each payment with a 6-digit PIN or a device key (the
// "fingerprint").
//
// The wallet is a client of the network like any wallet processor: it reaches the
// acquirer's gateway only over ISO 8583 (an iso.Client passed in as a
// bandeira.Authorizer), never through another party's memory. Cards are kept only as
// network tokens: a card is verified with its issuer by an account verification (an 0100
// of amount 0) that asks the brand's token service for a token (field 48 tag TR), and
// every later payment carries the token and a one-time cryptogram made with the wallet's
// token requestor key (bandeira.TokenCryptogram). The PAN and CVV2 are used once, on the
// wire, and never stored or logged.
//
// A Wallet keeps users, PIN hashes (PBKDF2-HMAC-SHA256 over a peppered PIN), device keys,
// challenges, cards, payments, transfers, charges and idempotency keys in one SQLite
// database on the storage core (internal/store), everything also held in memory; a change
// is committed before the call that made it returns, so kill -9 loses nothing that was
// answered. Requests whose outcome it cannot know (no answer, 91, 96) are reversed through
// a durable store-and-forward queue (internal/saf), and so are the ones a crash left in
// flight, when the wallet opens again.
//
// Handler serves the JSON API under /v1 (docs/wallet.md and /v1/openapi.json) and the
// chat-like page at /. A Wallet is safe for concurrent use.
package wallet
