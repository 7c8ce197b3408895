package acquirer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/metrics"
)

// The kind label values of bandeira_acquirer_fees_centavos_total.
const (
	KindMDR         = "mdr"
	KindInterchange = "interchange"
	KindBrand       = "brand"
	KindAcquirer    = "acquirer"
)

// Metrics are the acquirer's Prometheus metrics, in centavos (the base unit of money here).
// Fees and Volume share the labels brand, product and band, so a dashboard divides one by
// the other for the effective MDR (docs/economics.md). It is safe for concurrent use.
type Metrics struct {
	Fees   *prometheus.CounterVec // bandeira_acquirer_fees_centavos_total{brand,product,band,kind}
	Sales  *prometheus.CounterVec // bandeira_acquirer_sales_total{brand,product,band}
	Volume *prometheus.CounterVec // bandeira_acquirer_volume_centavos_total{brand,product,band}
	// JournalEntries counts committed journal entries by kind (sale, refund, reversal,
	// completion, expiry): bandeira_acquirer_journal_entries_total{kind}.
	JournalEntries *prometheus.CounterVec
	// JournalCommit is the duration of each group commit of the journal:
	// bandeira_acquirer_journal_commit_duration_seconds.
	JournalCommit prometheus.Histogram
	// JournalReads counts sales and refunds read back from disk because the journal's
	// cache no longer held them: bandeira_acquirer_journal_reads_total.
	JournalReads prometheus.Counter
}

// NewMetrics builds the acquirer metrics and registers them on reg; a nil reg leaves them
// unregistered. It panics if the metrics are already registered on reg, a programmer error
// at start-up.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Fees: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_acquirer_fees_centavos_total",
			Help: "Fees on approved, priced sales in centavos, by kind: mdr (the total the merchant pays) and its " +
				"parts interchange, brand and acquirer. The acquirer part omits the rare negative rounding centavo.",
		}, []string{"brand", "product", "band", "kind"}),
		Sales: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_acquirer_sales_total",
			Help: "Approved sales the acquirer priced, by installment band (a_vista, emissor, lojista_2_6, lojista_7_12).",
		}, []string{"brand", "product", "band"}),
		Volume: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_acquirer_volume_centavos_total",
			Help: "Gross value of the approved sales the acquirer priced, in centavos, by installment band. " +
				"Effective MDR = fees{kind=\"mdr\"} / volume.",
		}, []string{"brand", "product", "band"}),
		JournalEntries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_acquirer_journal_entries_total",
			Help: "Entries committed to the acquirer's journal, by kind: sale, refund, reversal, completion, expiry.",
		}, []string{"kind"}),
		JournalCommit: prometheus.NewHistogram(metrics.Latency(
			"bandeira_acquirer_journal_commit_duration_seconds",
			"Duration of each group commit of the acquirer's journal (one transaction, fsync included).",
		)),
		JournalReads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bandeira_acquirer_journal_reads_total",
			Help: "Sales and refunds read back from disk because the journal's cache no longer held them (duplicates and reversals of older requests).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Fees, m.Sales, m.Volume, m.JournalEntries, m.JournalCommit, m.JournalReads)
	}
	return m
}

// saleMetrics are one (brand, class) pair's children, resolved once so pricing does no
// label lookups.
type saleMetrics struct {
	sales, volume, mdr, interchange, brand, acquirer prometheus.Counter
}

func (m *Metrics) forSale(b bandeira.Brand, c class) saleMetrics {
	bs, ps, band := string(b), string(c.product), string(c.band)
	return saleMetrics{
		sales:       m.Sales.WithLabelValues(bs, ps, band),
		volume:      m.Volume.WithLabelValues(bs, ps, band),
		mdr:         m.Fees.WithLabelValues(bs, ps, band, KindMDR),
		interchange: m.Fees.WithLabelValues(bs, ps, band, KindInterchange),
		brand:       m.Fees.WithLabelValues(bs, ps, band, KindBrand),
		acquirer:    m.Fees.WithLabelValues(bs, ps, band, KindAcquirer),
	}
}

// count adds one priced sale. Parts are never negative except, rarely, the acquirer margin
// (see Rate.Fee); a counter cannot go down, so a negative margin is not added.
func (s *saleMetrics) count(f bandeira.Fee) {
	s.sales.Inc()
	s.volume.Add(float64(f.Gross))
	s.mdr.Add(float64(f.MDR))
	s.interchange.Add(float64(f.Interchange))
	s.brand.Add(float64(f.BrandFee))
	if f.AcquirerMargin > 0 {
		s.acquirer.Add(float64(f.AcquirerMargin))
	}
}
