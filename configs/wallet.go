package configs

import "fmt"

// checkWallet checks what the wallet's section shares with the others: its token
// requestor is one the networks know, and no token range overlaps an issuer's BIN row (a
// token would be routed as a card, or a card taken for a token). A catalog of a merchant
// the acquirer does not have is not an error (a file that replaces the merchants cannot
// remove the default catalogs): the wallet does not show it, and --check-config lists the
// merchants it shows.
func (c Config) checkWallet() error {
	if _, ok := c.Network.Tokens.Requestor(c.Wallet.RequestorID); !ok {
		return fmt.Errorf("requestor_id %s is not one of network.tokens.requestors", c.Wallet.RequestorID)
	}
	for brand, r := range c.Network.Tokens.Ranges {
		for _, b := range c.Issuers.Banks {
			for _, row := range b.BINs {
				n := len(row.BIN)
				if n <= len(r.From) && row.BIN >= r.From[:n] && row.BIN <= r.To[:n] {
					return fmt.Errorf("network.tokens.ranges.%s (%s–%s) overlaps the BIN row %s of %s", brand, r.From, r.To, row.BIN, b.Name)
				}
			}
		}
	}
	return nil
}
