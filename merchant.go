package bandeira

// Merchant is a card acceptor the acquirer has signed up.
type Merchant struct {
	ID   string // field 42, up to 15 characters
	Name string
	MCC  string // merchant category code, four digits
	City string
	Plan string // fee plan name; "" means the default schedule
}

// Fee is the merchant discount (MDR) on one sale, split among the parties, in centavos.
// Interchange + BrandFee + AcquirerMargin == MDR always.
type Fee struct {
	Gross          Amount // the sale amount
	MDR            Amount // what the merchant pays in total
	Interchange    Amount // to the issuer
	BrandFee       Amount // to the network
	AcquirerMargin Amount // kept by the acquirer; absorbs the rounding
	Net            Amount // Gross − MDR, what the merchant receives
}

// Sale is an approved sale as the acquirer prices it.
type Sale struct {
	MerchantID   string // field 42
	Brand        Brand
	Product      Product
	Amount       Amount        // field 4: the total, also for installment sales
	Installments *Installments // nil for a single payment (à vista)
}
