package loadtest

import (
	"math"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/bandeira/bandeira"
)

// Second is one point of the time series: what happened since the previous point.
// Latencies are in milliseconds; rates are per second.
type Second struct {
	T          float64 `json:"t"`           // seconds from the start to the end of the interval
	Interval   float64 `json:"interval"`    // the interval's length in seconds
	TargetRate float64 `json:"target_rate"` // the open model's target in the middle of the interval (0 for closed)
	Rate       float64 `json:"rate"`        // answered per second
	Scheduled  int64   `json:"scheduled"`
	Sent       int64   `json:"sent"`
	Answered   int64   `json:"answered"`
	Approved   int64   `json:"approved"`
	TimedOut   int64   `json:"timed_out"`
	Dropped    int64   `json:"dropped"`
	Errors     int64   `json:"errors"`
	InFlight   int     `json:"in_flight"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	P999       float64 `json:"p999_ms"`
	Max        float64 `json:"max_ms"`
	// Codes counts the interval's answers by response code (field 39).
	Codes map[string]int64 `json:"codes,omitempty"`
	// Kinds holds the interval's answers and latency by kind of the mix.
	Kinds map[string]KindSecond `json:"kinds,omitempty"`
}

// KindSecond is one kind's part of a point of the time series. Latencies are in
// milliseconds (HdrHistogram, 2 significant digits).
type KindSecond struct {
	Sent     int64   `json:"sent"`
	Answered int64   `json:"answered"`
	Approved int64   `json:"approved"`
	TimedOut int64   `json:"timed_out"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
}

func newSecond(t, interval time.Duration, d *counts, inFlight int, h *hdrhistogram.Histogram) Second {
	s := Second{
		T: t.Seconds(), Interval: interval.Seconds(), Scheduled: d.scheduled, Sent: d.sent,
		Answered: d.answered, Approved: d.approved, TimedOut: d.timedOut, Dropped: d.dropped,
		Errors: d.errorTotal(), InFlight: inFlight,
	}
	if interval > 0 {
		s.Rate = float64(d.answered) / interval.Seconds()
	}
	if h.TotalCount() > 0 {
		s.P50, s.P90, s.P99, s.P999 = pct(h, 50), pct(h, 90), pct(h, 99), pct(h, 99.9)
		s.Max = ms(h.Max())
	}
	return s
}

func pct(h *hdrhistogram.Histogram, p float64) float64 { return ms(h.ValueAtPercentile(p)) }

// ms converts histogram microseconds to milliseconds.
func ms(us int64) float64 { return float64(us) / 1000 }

// Summary is the result of a run, as the text, JSON and HTML reports show it. Latencies
// are in milliseconds, shares are fractions from 0 to 1 and rates are per second.
type Summary struct {
	Version     int       `json:"version"`
	ToolVersion string    `json:"tool_version,omitempty"` // the build of the tool that ran the test (set by the caller)
	Command     string    `json:"command,omitempty"`      // the command line that ran it, quoted for a shell (set by the caller)
	Target      string    `json:"target"`
	Model       string    `json:"model"` // "open" or "closed"
	Connections int       `json:"connections"`
	Concurrency int       `json:"concurrency,omitempty"`
	Mix         string    `json:"mix"`
	StartedAt   time.Time `json:"started_at"`
	Duration    float64   `json:"duration_seconds"` // from the first send to the last scheduled one

	Requests      RequestCounts `json:"requests"`
	Rate          RateSummary   `json:"rate"`
	Latency       Latency       `json:"latency_ms"`
	ApprovalShare float64       `json:"approval_share"` // approved / answered
	ErrorShare    float64       `json:"error_share"`    // (timed out + dropped + errors) / scheduled
	Codes         []CodeCount   `json:"codes"`
	Kinds         []KindSummary `json:"kinds"`
	Distribution  []Bucket      `json:"distribution"`
	GeneratorCPU  float64       `json:"generator_cpu_us_per_request"` // process CPU / sent
	Series        []Second      `json:"series"`
	Thresholds    []CheckResult `json:"thresholds,omitempty"`
}

// RequestCounts are the run's request totals. Scheduled = dropped + sent; sent =
// answered + timed out + errors.
type RequestCounts struct {
	Scheduled int64            `json:"scheduled"`
	Sent      int64            `json:"sent"`
	Answered  int64            `json:"answered"`
	Approved  int64            `json:"approved"`
	TimedOut  int64            `json:"timed_out"`
	Dropped   int64            `json:"dropped"`
	Errors    map[string]int64 `json:"errors"` // by kind: unmatched, malformed, connection, write
}

// RateSummary compares the achieved rate with the target.
type RateSummary struct {
	Target   float64 `json:"target"`   // scheduled per second (open model; 0 for closed)
	Achieved float64 `json:"achieved"` // answered per second
	Ratio    float64 `json:"ratio"`    // answered / scheduled (open model; 0 for closed)
}

// Latency holds the percentiles of every answered request: from its scheduled send time
// in the open model, from its actual send in the closed one.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// CodeCount is one response code (field 39) with its count and share of answers.
type CodeCount struct {
	Code    string  `json:"code"`
	Meaning string  `json:"meaning,omitempty"` // bandeira.ResponseCode.Meaning; "" for a code Bandeira does not define
	Count   int64   `json:"count"`
	Share   float64 `json:"share"`
}

// KindSummary is one kind of the mix.
type KindSummary struct {
	Kind     string  `json:"kind"`
	Sent     int64   `json:"sent"`
	Answered int64   `json:"answered"`
	Approved int64   `json:"approved"`
	TimedOut int64   `json:"timed_out"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

// Bucket is one bar of the latency distribution: Count answers at or below UpTo ms and
// above the previous bucket's UpTo.
type Bucket struct {
	UpTo  float64 `json:"le_ms"`
	Count int64   `json:"count"`
}

// summary builds the Summary from the collector's totals and the connections' records.
func (col *collector) summary(sending, cpu time.Duration) *Summary {
	r := col.r
	mix, _ := ParseMix(r.cfg.Mix)
	s := &Summary{Version: 1, Target: r.cfg.Target, Model: "closed", Connections: r.cfg.Connections,
		Concurrency: r.cfg.Concurrency, Mix: mix.String(), StartedAt: r.start.UTC(), Duration: sending.Seconds()}
	if r.cfg.Open() {
		s.Model = "open"
	}
	var kinds [numKinds]kindCounts
	kindHist := [numKinds]*hdrhistogram.Histogram{}
	codes := map[[2]byte]int64{}
	for i := range kindHist {
		kindHist[i] = newHist(2)
	}
	for _, c := range r.conns {
		c.mu.Lock()
		for k := range kinds {
			kc, oc := &kinds[k], &c.st.kinds[k]
			kc.sent += oc.sent
			kc.answered += oc.answered
			kc.approved += oc.approved
			kc.timedOut += oc.timedOut
		}
		for code, n := range c.st.codes {
			codes[code] += n
		}
		c.mu.Unlock()
	}
	for _, h := range r.hists {
		h.mu.Lock()
		for k := range kindHist {
			kindHist[k].Merge(h.kind[k])
		}
		h.mu.Unlock()
	}
	t := col.last
	s.Requests = RequestCounts{Scheduled: t.scheduled, Sent: t.sent, Answered: t.answered, Approved: t.approved,
		TimedOut: t.timedOut, Dropped: t.dropped, Errors: map[string]int64{}}
	for k, n := range t.errors {
		s.Requests.Errors[ErrorKind(k).String()] = n
	}
	s.fillRates(sending, cpu)
	s.fillLatency(col.total)
	s.fillCodes(codes)
	for k := range kinds {
		kc, h := kinds[k], kindHist[k]
		if kc.sent == 0 {
			continue
		}
		ks := KindSummary{Kind: Kind(k).String(), Sent: kc.sent, Answered: kc.answered, Approved: kc.approved, TimedOut: kc.timedOut}
		if h.TotalCount() > 0 {
			ks.P50, ks.P99, ks.Max = pct(h, 50), pct(h, 99), ms(h.Max())
		}
		s.Kinds = append(s.Kinds, ks)
	}
	s.Series = col.series.all()
	return s
}

func (s *Summary) fillRates(sending, cpu time.Duration) {
	q := s.Requests
	if sec := sending.Seconds(); sec > 0 {
		s.Rate.Achieved = float64(q.Answered) / sec
		if s.Model == "open" {
			s.Rate.Target = float64(q.Scheduled) / sec
		}
	}
	if s.Model == "open" && q.Scheduled > 0 {
		s.Rate.Ratio = float64(q.Answered) / float64(q.Scheduled)
	}
	if q.Answered > 0 {
		s.ApprovalShare = float64(q.Approved) / float64(q.Answered)
	}
	var errs int64
	for _, n := range q.Errors {
		errs += n
	}
	if q.Scheduled > 0 {
		s.ErrorShare = float64(q.TimedOut+q.Dropped+errs) / float64(q.Scheduled)
	}
	if q.Sent > 0 && cpu >= 0 {
		s.GeneratorCPU = float64(cpu.Microseconds()) / float64(q.Sent)
	}
}

func (s *Summary) fillLatency(h *hdrhistogram.Histogram) {
	if h.TotalCount() == 0 {
		return
	}
	s.Latency = Latency{P50: pct(h, 50), P90: pct(h, 90), P99: pct(h, 99), P999: pct(h, 99.9),
		Max: ms(h.Max()), Mean: ms(int64(math.Round(h.Mean())))}
	s.Distribution = distribution(h)
}

func (s *Summary) fillCodes(codes map[[2]byte]int64) {
	for code, n := range codes {
		cc := CodeCount{Code: string(code[:]), Meaning: bandeira.ResponseCode(code[:]).Meaning(), Count: n}
		if s.Requests.Answered > 0 {
			cc.Share = float64(n) / float64(s.Requests.Answered)
		}
		s.Codes = append(s.Codes, cc)
	}
	slices.SortFunc(s.Codes, func(a, b CodeCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		if a.Code < b.Code {
			return -1
		}
		return 1
	})
}

// distribution buckets the latencies on a log scale: four buckets per doubling from the
// lowest recorded value up to the maximum, at most 120 buckets.
func distribution(h *hdrhistogram.Histogram) []Bucket {
	lo, hi := max(h.Min(), 1), h.Max()
	var out []Bucket
	var below int64
	bars := h.Distribution()
	edge := float64(lo)
	i := 0
	for len(out) < 120 {
		var n int64
		for i < len(bars) && float64(bars[i].To) <= edge {
			n += bars[i].Count
			i++
		}
		out = append(out, Bucket{UpTo: edge / 1000, Count: n})
		below += n
		if int64(edge) >= hi || below >= h.TotalCount() {
			break
		}
		edge *= 1.189207 // 2^(1/4)
	}
	return out
}
