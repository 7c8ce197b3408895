package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
)

// A card's token number is kept at rest only sealed (AES-256-GCM, internal/seal) under the
// wallet's token key, Options.TokenKeyFile (<data-dir>/keys/wallet-tokens.key), beside the
// other sealing keys of the data directory. The sealed value is the card's ID and the
// number, so a sealed token copied into another card's row does not open. The number is
// held in clear only in memory, to sign the card's requests.

// sealToken seals c.number into c.SealedToken and drops a clear Token a version-1 row had.
func (w *Wallet) sealToken(c *card) {
	c.Token = ""
	c.SealedToken = w.tokenKey.Seal([]byte(c.ID + "\x00" + c.number))
	c.TokenLast4 = c.number[len(c.number)-4:]
}

// openToken opens c.SealedToken into c.number. A value that does not open under the key,
// or that was sealed for another card, is an error: the wallet cannot sign for the card.
func (w *Wallet) openToken(c *card) error {
	plain, err := w.tokenKey.Open(c.SealedToken)
	if err != nil {
		return fmt.Errorf("opening the token of card %s: %w", c.ID, err)
	}
	id, number, ok := strings.Cut(string(plain), "\x00")
	if !ok || id != c.ID || !bandeira.IsDigits(number) || len(number) < 12 {
		return fmt.Errorf("opening the token of card %s: %w", c.ID, seal.ErrOpen)
	}
	c.number = number
	return nil
}

// loadCardToken sets c.number from its row: a version-1 row's clear token (which the
// caller then seals, sealLegacyTokens), or the sealed one. It reports whether the row was
// a version-1 row.
func (w *Wallet) loadCardToken(c *card) (legacy bool, err error) {
	switch {
	case c.Token != "":
		c.number = c.Token
		return true, nil
	case c.SealedToken != nil:
		return false, w.openToken(c)
	}
	return false, nil // a removed card keeps no token
}

// sealLegacyTokens rewrites the rows of cards that schema version 1 stored with their
// token in clear, sealed, in one transaction, before the wallet serves; then it rebuilds
// the database (VACUUM) and empties its write-ahead log, so the clear numbers linger
// neither in free pages nor in the log. A crash before the commit leaves the rows as they
// were, and the next Open seals them again.
func (w *Wallet) sealLegacyTokens(ctx context.Context, cards []*card) error {
	if len(cards) == 0 {
		return nil
	}
	tx, err := w.db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sealing the cards' tokens: %w", err)
	}
	for _, c := range cards {
		w.sealToken(c)
		doc, err := json.Marshal(c)
		if err == nil {
			_, err = tx.ExecContext(ctx, "UPDATE cards SET doc = ? WHERE id = ?", string(doc), c.ID)
		}
		if err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("sealing the cards' tokens: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sealing the cards' tokens: %w", err)
	}
	if _, err := w.db.W.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("rebuilding the database after sealing the tokens: %w", err)
	}
	var busy, logFrames, moved int
	err = w.db.W.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &moved)
	if err != nil {
		return fmt.Errorf("emptying the log after sealing the tokens: %w", err)
	}
	w.log.Info().Int("cards", len(cards)).Bool("log_emptied", busy == 0).
		Msg("sealed the token numbers a version-1 database kept in clear")
	return nil
}
