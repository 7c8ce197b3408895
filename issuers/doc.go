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
//	7  no-answer           blocks until ctx is done, then returns an error wrapping ctx.Err()
//	8  slow                answers normally after Config.SlowDelay, or ctx's error if sooner
//
// Apart from these, scenario cards have derived expiry, CVV2, PIN and money like any card.
//
// # Decisions
//
// Authorize checks, in order, and stops at the first that answers:
//
//  1. The PAN is not a card of this bank (not 16 digits, bad Luhn digit, unknown BIN,
//     serial neither regular nor a scenario): 14. This applies to reversals too.
//  2. issuer-down, no-answer and slow behave as above, for every message type.
//  3. A message type other than an 01xx, 02xx or 04xx request or advice: 12.
//  4. Reversals (0400, 0401, 0420, 0421) go to step 10, and completion advices (0220,
//     0221 with field 90) to step 11; both skip every check below.
//  5. Card status: lost 41, stolen 43, blocked 62.
//  6. Expiry: the card's expiry month is before now's (54); field 14 present and not the
//     card's expiry (54).
//  7. Field 48 CVV2 present and not the card's: N7.
//  8. Field 52 PIN block present: it is decoded as a clear ISO 9564 format 0 block (the
//     simulator does not encrypt PIN blocks under a ZPK yet; see bandeira.DecodePINBlock). A wrong PIN,
//     or a block that is not format 0 for this PAN, answers 55, and 75 once Config.PINTries
//     wrong PINs come in a row. The count lives in the ledger; a correct PIN resets it and
//     the request goes on, so a card is PIN-locked (75 for wrong PINs) only until its
//     holder enters the right PIN. Requests without field 52 ignore the count.
//  9. Processing code (field 3): 30 or 31 approves a balance inquiry with Result.Balances
//     (ledger = balance; available = balance − holds + credit limit; currency 986).
//     00 purchase and 01 cash hold field 4 (01xx) or post it at once (02xx); 20 refund
//     credits field 4 with no funds check; 10 and 26 (the legs of a transfer) and an 0100
//     of amount 0 with code 00 (an account verification) are in transfer.go. Any other
//     code: 12. For 00, 01 and 20, a missing
//     or non-positive amount answers 13, an amount above Config.MaxTransactionAmount 61,
//     and a hold or debit beyond the available balance 51. Approvals carry a fresh
//     6-character auth code (0-9A-Z). Advices (0120, and 0220 without field 90) are
//     decided like requests.
//  10. Reversals match the original by field 90 (acquirer ID, STAN, transmission time;
//     leading zeros ignored; an all-zero acquirer ID means the reversal's field 32), or by
//     the reversal's own fields 32, 11 and 7 when field 90 is absent. The original's MTI
//     is not compared. A found original is undone once: its hold released, its debit credited back,
//     its refund debited back; field 95 (Replacement) keeps that amount and undoes only
//     the rest. The answer is 00 with the original's auth code. An unknown original, or
//     one already reversed, is acknowledged with 00 and nothing changes. A refund reversal
//     that the account can no longer cover answers 51 and changes nothing. A reversal
//     whose original the ledger has never seen leaves a tombstone in ledgers that keep
//     them (issuers/books): the original, when it comes, is declined 05 (reliability.md I5).
//  11. A completion advice (0220, 0221) captures the hold its field 90 names: field 4, at
//     most what is still held, is posted and the rest released. It is acknowledged 00 with
//     the hold's auth code, also when the hold was already captured, reversed or expired;
//     an unknown hold is acknowledged 00 and nothing changes. Field 90 naming a record of
//     another card, or one that is not a hold, answers 94.
//
// Available balance never goes below zero (debit, prepaid) or beyond the credit limit
// (credit). Amounts are integer centavos.
//
// A request whose acquirer ID, terminal, STAN and transmission time match a request the
// ledger remembers changes nothing (reliability.md I4): an identical retransmit or a repeat
// (xx01) with the same kind and amount gets the stored answer (the approval and its auth
// code, or the stored decline); the same key with another amount, kind or card answers 94.
// Every ledger (the durable books of issuers/books, what `bandeira run` uses, and
// ledger.Memory) runs the same rules, ledger.Engine: it remembers every request, declines
// included, for good.
//
// # Logs and metrics
//
// Each decision logs one debug line with issuer, masked PAN, MTI, STAN, RRN and
// response_code; never a full PAN, CVV2, PIN or PIN block. Metrics are
// bandeira_issuer_decisions_total{issuer,response_code} and
// bandeira_issuer_decision_duration_seconds{issuer}.
package issuers
