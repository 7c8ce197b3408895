package loadtest

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// collector merges the connections' statistics once a second into the time series and
// the run's totals. Only its goroutine touches it until Run returns.
type collector struct {
	r          *Runner
	last       counts
	lastKinds  [numKinds]kindCounts
	lastCodes  map[[2]byte]int64
	total      *hdrhistogram.Histogram
	second     *hdrhistogram.Histogram
	secondKind [numKinds]*hdrhistogram.Histogram
	series     series
	lastT      time.Duration
}

func newCollector(r *Runner) *collector {
	col := &collector{r: r, lastCodes: map[[2]byte]int64{}, total: newHist(3), second: newHist(3),
		series: series{max: maxSeriesPoints}}
	for k := range col.secondKind {
		col.secondKind[k] = newHist(2)
	}
	return col
}

// loop collects every second and expires timed-out requests every few milliseconds until
// done is closed.
func (col *collector) loop(done <-chan struct{}, progress func(Second)) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sweep := time.NewTicker(20 * time.Millisecond)
	defer sweep.Stop()
	for {
		select {
		case <-done:
			return
		case <-sweep.C:
			now := int64(col.r.clock.Now().Sub(col.r.start))
			for _, c := range col.r.conns {
				c.expire(now)
			}
		case <-tick.C:
			s := col.collect()
			if progress != nil {
				progress(s)
			}
		}
	}
}

// collect merges what the connections recorded since the last call into one Second.
func (col *collector) collect() Second {
	var now counts
	var kinds [numKinds]kindCounts
	codes := make(map[[2]byte]int64, len(col.lastCodes))
	inFlight := 0
	for _, c := range col.r.conns {
		c.mu.Lock()
		now.add(&c.st.counts)
		for k := range kinds {
			kinds[k] = kinds[k].add(c.st.kinds[k])
		}
		for code, n := range c.st.codes {
			codes[code] += n
		}
		inFlight += c.win.inFlight
		c.mu.Unlock()
	}
	for _, h := range col.r.hists {
		h.mu.Lock()
		col.second.Merge(h.sec)
		h.sec.Reset()
		for k := range col.secondKind {
			col.secondKind[k].Merge(h.secKind[k])
			h.secKind[k].Reset()
		}
		h.mu.Unlock()
	}
	t := col.r.clock.Now().Sub(col.r.start)
	d := now.sub(&col.last)
	col.last = now
	s := newSecond(t, t-col.lastT, &d, inFlight, col.second)
	if col.r.sched != nil {
		// The target over the interval, taken at its middle: at its end the schedule of
		// the last second has already finished and would read 0.
		s.TargetRate = col.r.sched.RateAt(col.lastT + (t-col.lastT)/2)
	}
	col.lastT = t
	col.total.Merge(col.second)
	col.second.Reset()
	s.Codes = col.codesSince(codes)
	s.Kinds = col.kindsSince(kinds)
	col.series.add(s)
	return s
}

// codesSince returns the answers per response code since the last collection.
func (col *collector) codesSince(now map[[2]byte]int64) map[string]int64 {
	var out map[string]int64
	for code, n := range now {
		if d := n - col.lastCodes[code]; d > 0 {
			if out == nil {
				out = make(map[string]int64, len(now))
			}
			out[string(code[:])] = d
		}
	}
	col.lastCodes = now
	return out
}

// kindsSince returns each kind's answers and latency since the last collection, for the
// kinds that sent or answered anything.
func (col *collector) kindsSince(now [numKinds]kindCounts) map[string]KindSecond {
	var out map[string]KindSecond
	for k := range now {
		d, h := now[k].sub(col.lastKinds[k]), col.secondKind[k]
		if d.sent == 0 && d.answered == 0 && d.timedOut == 0 {
			continue
		}
		ks := KindSecond{Sent: d.sent, Answered: d.answered, Approved: d.approved, TimedOut: d.timedOut}
		if h.TotalCount() > 0 {
			ks.P50, ks.P99 = pct(h, 50), pct(h, 99)
		}
		h.Reset()
		if out == nil {
			out = make(map[string]KindSecond, numKinds)
		}
		out[Kind(k).String()] = ks
	}
	col.lastKinds = now
	return out
}
