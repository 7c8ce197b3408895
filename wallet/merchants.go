package wallet

// MerchantView is a merchant with a catalog, as the API shows it.
type MerchantView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	City     string `json:"city"`
	MCC      string `json:"mcc"`
	Products int    `json:"products"`
}

// Merchants returns the merchants that have a catalog, in configuration order.
func (w *Wallet) Merchants() []MerchantView {
	out := make([]MerchantView, 0, len(w.order))
	for _, id := range w.order {
		m := w.merchants[id]
		out = append(out, MerchantView{ID: m.ID, Name: m.Name, City: m.City, MCC: m.MCC, Products: len(w.cfg.Catalogs[id])})
	}
	return out
}

// Catalog returns a merchant's products, 404 for a merchant without a catalog.
func (w *Wallet) Catalog(merchantID string) ([]Product, error) {
	if _, ok := w.merchants[merchantID]; !ok {
		return nil, errNotFound("merchant")
	}
	return append([]Product{}, w.cfg.Catalogs[merchantID]...), nil
}
