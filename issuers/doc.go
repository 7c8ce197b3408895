// Package issuers simulates the issuer banks of the Bandeira network: Banco do Brasil
// (bancodobrasil, 001), Nubank (nubank, 260) and Sicredi (sicredi, 748). Each Bank is a
// bandeira.Authorizer that decides requests for the cards of its BIN rows and keeps account
// state in a Ledger (package issuers/ledger).
//
// # Cards
//
// Cards are generated, never stored. A card of a BIN row is BIN + serial + Luhn digit
// (16 digits; the serial has 15−len(BIN) digits, 7 for the default 8-digit BINs). Its
// expiry (YYMM, 2029-2032), CVV2 (3 digits), PIN (4 digits) and opening balance (debit,
// prepaid) or credit limit (credit) are a pure function of (Config.Seed, BIN, serial), so
// the same config yields the same cards on every machine and Go version. Regular cards
// have serials 0..CardsPerBIN−1. A bank recognises a card by parsing BIN and serial back
// out of the PAN; it never materialises the card list. Cards, ScenarioCards and AllCards
// list them.
//
// # Scenario cards
//
// Every BIN row has one card per scenario, at serial ScenarioSerialBase(BIN) + n, where n
// is the scenario's position (9999900 + n for 8-digit BINs; that block of 100 serials is
// reserved and never regular):
//
//	n  scenario            outcome
//	0  insufficient-funds  51 for amounts above R$ 1.00 (opening balance or limit R$ 1.00)
//	1  expired             54 (expiry 2022-2025)
//	2  lost                41
//	3  stolen              43
//	4  blocked             62
//	5  wrong-pin           55 for a PIN other than the listed one; 75 from the PINTries-th
//	                       wrong PIN in a row; the listed PIN approves and resets the count
//	6  issuer-down         error wrapping bandeira.ErrIssuerUnavailable (edge answers 91)
//	7  no-answer           decides and posts a purchase, cash or transfer as usual, then
//	                       withholds the answer until ctx is done (an error wrapping
//	                       ctx.Err()): a late approval whose answer is lost. Its inquiries
//	                       and reversals are answered.
//	8  slow                answers normally after Config.SlowDelay, or ctx's error if sooner
//
// Apart from these, scenario cards have derived expiry, CVV2, PIN and money like any card.
//
// # Decisions
//
// Authorize checks, in order, and stops at the first that answers:
//
//  1. Reversals (0400, 0401, 0420, 0421) go to step 11, and completion advices (0220,
//     0221 with field 90) to step 12, whatever card they carry: they find their original
//     by key.
//  2. The PAN is not a card of this bank (not 16 digits, bad Luhn digit, unknown BIN,
//     serial neither regular nor a scenario): 14.
//  3. Stand-in advices (0120, 0121) go to step 13.
//  4. issuer-down, no-answer and slow behave as above, for requests (reversals and
//     advices are applied whatever their card's scenario: they must land).
//  5. A message type other than an 01xx or 02xx request: 12.
//  6. Card status: lost 41, stolen 43, blocked 62.
//  7. Expiry: the card's expiry month is before now's (54); field 14 present and not the
//     card's expiry (54).
//  8. Field 48 CVV2 present and not the card's: N7.
//  9. Processing code (field 3): 30 or 31 is a balance inquiry, approved with
//     Result.Balances (ledger = balance; available = balance − holds + credit limit;
//     currency 986), and an 0100 with code 00 and amount 0 an account verification,
//     approved with nothing held or shown; 00 purchase, 01 cash and 10 account funding
//     (a transfer's pull) hold field 4 (01xx) or post it at once (02xx); 20 refund and,
//     on an 0200 only, 26 original credit (a transfer's push) credit field 4 with no funds
//     check. Any other code, or an 0100 original credit: 12, and nothing is remembered
//     (the code is part of the request's body).
//  10. The ledger decides the rest and remembers it under the request's key (acquirer ID,
//     terminal, STAN, transmission time) with the body the key binds (message class,
//     processing code, amount, card) and the answer: a field 52 PIN block is decoded as a
//     clear ISO 9564 format 0 block (the simulator does not encrypt PIN blocks under a ZPK
//     yet; see bandeira.DecodePINBlock); a wrong PIN, or a block that is not format 0 for
//     this PAN, answers 55, and 75 once Config.PINTries wrong PINs come in a row (the count
//     lives in the ledger; a correct PIN resets it); then a missing or non-positive amount
//     13 and an amount above Config.MaxTransactionAmount 61 (not for inquiries); the
//     original of a reversal that came first 05; a hold or debit beyond the available
//     balance 51. Approvals carry a 6-character auth code (0-9A-Z) derived from the
//     ledger's number for the request, which is never given twice (Bank.authCode).
//     Every one of these decisions, and the declines of steps 6 to 8, is remembered: an
//     identical retransmit or a repeat (xx01), also one whose expiry, CVV2 or PIN was
//     corrected since, gets the same answer (a wrong PIN is counted once); the same key
//     with another body answers 94.
//  11. Reversals match the original by field 90 (acquirer ID, STAN, transmission time;
//     leading zeros ignored; an all-zero acquirer ID means the reversal's field 32; the
//     terminal is the reversal's own), or by the reversal's own fields 32, 41, 11 and 7
//     when field 90 is absent; a reversal is never matched against its own key, so one
//     that reuses its original's STAN and field 7 reverses. The original's MTI is not
//     compared. The original's amount in effect becomes min(amount in effect, field 95),
//     or 0 without field 95: a hold is released, a captured hold's capture given back, a
//     debit credited back, a refund debited back, on the original's account whatever card
//     the reversal names. Reversals therefore chain in any order and a repeat or a late
//     retransmit changes nothing. The answer is 00 with the original's auth code and
//     Result.Remaining, the amount still in effect. A refund reversal the account can no
//     longer cover answers 51, changes nothing and carries the unchanged amount. With no
//     original the reversal is acknowledged with 00, Remaining nil, and leaves a tombstone:
//     the original, when it comes, is declined 05 (docs/ledger.md, I5). A reversal of a
//     declined original answers Remaining 0 and keeps a later stand-in advice from posting
//     it.
//  12. A completion advice (0220, 0221) captures the hold its field 90 names, on the
//     hold's account whatever card the advice names: field 4, at most what is still held,
//     is posted and the rest released; what it captured stays in effect (Remaining) until
//     a reversal gives it back. It is acknowledged 00 with the hold's auth code, also when
//     the hold was already captured, reversed or expired; an unknown hold is acknowledged
//     00 and nothing changes (Remaining nil). Field 90 naming a record that is not a hold
//     answers 94; a missing or zero amount 13.
//  13. A stand-in advice (0120, 0121) carries the decision the network took on the bank's
//     behalf (field 39, field 38 the stand-in's auth code, field 44 the reason), which
//     binds the bank: an approval is posted once under the original's key, even beyond
//     the available balance and over a decline the bank made itself, unless a reversal of
//     the key came first; a decline is remembered when the bank never decided the key.
//     No screen applies. The answer is 00 (with the stand-in's auth code for an approval);
//     94 for the key of another body; 30 without field 39.
//
// Available balance never goes below zero (debit, prepaid) or beyond the credit limit
// (credit), except through stand-in approvals. Amounts are integer centavos.
//
// Every ledger (the durable books of issuers/books, what `bandeira run` uses, and
// ledger.Memory) runs the same rules, ledger.Engine: it remembers every request, declines
// included, for good.
//
// # Logs and metrics
//
// Each decision logs one debug line with issuer, masked PAN, MTI, STAN, RRN and
// response_code; never a full PAN, CVV2, PIN or PIN block. Metrics are
// bandeira_issuer_decisions_total{issuer,brand,product,response_code},
// bandeira_issuer_decision_duration_seconds{issuer},
// bandeira_issuer_stand_in_posted_total{issuer} and
// bandeira_issuer_stand_in_overdraft_centavos_total{issuer}.
package issuers
