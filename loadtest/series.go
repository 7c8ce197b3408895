package loadtest

import "slices"

// maxSeriesPoints bounds the time series: past it, neighbouring points merge in pairs, so
// a run of any length keeps at most this many points (4 hours at one a second).
const maxSeriesPoints = 14_400

// series is the bounded time series.
type series struct {
	points []Second
	max    int
	// pending holds a point waiting for its pair once the resolution has been halved.
	stride  int
	pending *Second
}

func (s *series) add(p Second) {
	if s.stride == 0 {
		s.stride = 1
	}
	if s.stride > 1 {
		if s.pending == nil {
			s.pending = &p
			return
		}
		p = mergeSeconds(*s.pending, p)
		s.pending = nil
	}
	s.points = append(s.points, p)
	if len(s.points) >= s.max {
		half := make([]Second, 0, s.max)
		for i := 0; i+1 < len(s.points); i += 2 {
			half = append(half, mergeSeconds(s.points[i], s.points[i+1]))
		}
		s.points = half
		s.stride *= 2
	}
}

// minTail is the shortest final interval kept as a point of its own. The collector's last
// call, when the run ends, usually closes a sliver of a second; plotted alone, a sliver's
// few answers read as a spike in the per-second rate, so it joins the point before it.
const minTail = 0.5 // seconds

// all returns the points, including a pending one, with a final sliver shorter than
// minTail merged into the point before it.
func (s *series) all() []Second {
	pts := slices.Clone(s.points)
	if s.pending != nil {
		pts = append(pts, *s.pending)
	}
	if n := len(pts); n >= 2 && pts[n-1].Interval < minTail {
		tail := pts[n-1]
		pts = pts[:n-1]
		merged := mergeSeconds(pts[n-2], tail)
		merged.TargetRate = pts[n-2].TargetRate // the sliver's own target says nothing
		pts[n-2] = merged
	}
	return pts
}

// mergeSeconds joins two neighbouring points: counts add up, rates are recomputed over the
// joint interval, and each percentile is the larger of the two (an upper bound).
func mergeSeconds(a, b Second) Second {
	m := b
	m.Interval = a.Interval + b.Interval
	m.Scheduled += a.Scheduled
	m.Sent += a.Sent
	m.Answered += a.Answered
	m.Approved += a.Approved
	m.TimedOut += a.TimedOut
	m.Dropped += a.Dropped
	m.Errors += a.Errors
	if m.Interval > 0 {
		m.Rate = float64(m.Answered) / m.Interval
	}
	m.P50, m.P90, m.P99 = max(a.P50, b.P50), max(a.P90, b.P90), max(a.P99, b.P99)
	m.P999, m.Max = max(a.P999, b.P999), max(a.Max, b.Max)
	m.Codes = mergeCounts(a.Codes, b.Codes)
	m.Kinds = mergeKinds(a.Kinds, b.Kinds)
	return m
}

// mergeCounts adds two points' counts by key into a new map.
func mergeCounts(a, b map[string]int64) map[string]int64 {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make(map[string]int64, max(len(a), len(b)))
	for k, n := range a {
		out[k] += n
	}
	for k, n := range b {
		out[k] += n
	}
	return out
}

// mergeKinds joins two points' kinds: counts add up, each percentile is the larger.
func mergeKinds(a, b map[string]KindSecond) map[string]KindSecond {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make(map[string]KindSecond, max(len(a), len(b)))
	for _, m := range []map[string]KindSecond{a, b} {
		for k, v := range m {
			o := out[k]
			out[k] = KindSecond{Sent: o.Sent + v.Sent, Answered: o.Answered + v.Answered, Approved: o.Approved + v.Approved,
				TimedOut: o.TimedOut + v.TimedOut, P50: max(o.P50, v.P50), P99: max(o.P99, v.P99)}
		}
	}
	return out
}
