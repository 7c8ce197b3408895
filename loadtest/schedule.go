package loadtest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Stage is one segment of an open-model arrival schedule: over Duration the rate moves
// linearly from the previous stage's target (0 before the first stage) to Rate, in
// requests per second. A zero Duration steps to Rate at once.
type Stage struct {
	Duration time.Duration `yaml:"duration"`
	Rate     float64       `yaml:"rate"`
}

// ParseStages parses "30s:1000,60s:5000,30s:0": DURATION:RATE pairs, each ramping from the
// previous rate (0 at the start) to RATE. "0s:1000,60s:1000" steps to 1000/s and holds.
func ParseStages(s string) ([]Stage, error) {
	var out []Stage
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, r, ok := strings.Cut(part, ":")
		dur, derr := time.ParseDuration(strings.TrimSpace(d))
		rate, rerr := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if !ok || derr != nil || rerr != nil || dur < 0 || rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
			return nil, fmt.Errorf("stage %q: want DURATION:RATE, e.g. 30s:1000", part)
		}
		out = append(out, Stage{Duration: dur, Rate: rate})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("stages %q: none given", s)
	}
	return out, nil
}

// Schedule gives the send time of every request of an open model: request k (from 0) is
// due when the integral of the rate reaches k, as wrk2 and vegeta pace. It is immutable
// and safe for concurrent use.
type Schedule struct {
	segs  []segment
	total float64 // requests over the whole schedule
	end   time.Duration
}

// segment is a stage with its start time and the requests due before it.
type segment struct {
	start, dur time.Duration
	r0, r1     float64
	before     float64
}

// NewSchedule builds the schedule of stages.
func NewSchedule(stages []Stage) *Schedule {
	s := &Schedule{}
	prev := 0.0
	for _, st := range stages {
		seg := segment{start: s.end, dur: st.Duration, r0: prev, r1: st.Rate, before: s.total}
		prev = st.Rate
		if st.Duration <= 0 {
			continue
		}
		s.segs = append(s.segs, seg)
		s.total += (seg.r0 + seg.r1) / 2 * st.Duration.Seconds()
		s.end += st.Duration
	}
	return s
}

// Count returns how many requests the schedule sends: every k with a due time before the
// end.
func (s *Schedule) Count() int64 {
	n := math.Ceil(s.total - 1e-9)
	if n < 0 {
		return 0
	}
	return int64(n)
}

// Duration returns the length of the schedule.
func (s *Schedule) Duration() time.Duration { return s.end }

// At returns when request k is due, as an offset from the start. ok is false when k is
// beyond the schedule.
func (s *Schedule) At(k int64) (time.Duration, bool) {
	x := float64(k)
	if x >= s.total-1e-9 {
		return 0, false
	}
	for i := range s.segs {
		seg := &s.segs[i]
		n := (seg.r0 + seg.r1) / 2 * seg.dur.Seconds()
		if x >= seg.before+n && i < len(s.segs)-1 {
			continue
		}
		return seg.start + seg.offset(x-seg.before), true
	}
	return 0, false
}

// offset solves r0 t + (r1 - r0) t² / 2d = x for t within the segment, in the form that
// stays exact when the rate is constant.
func (seg *segment) offset(x float64) time.Duration {
	d := seg.dur.Seconds()
	a := (seg.r1 - seg.r0) / (2 * d)
	disc := seg.r0*seg.r0 + 4*a*x
	if disc < 0 {
		disc = 0
	}
	den := seg.r0 + math.Sqrt(disc)
	if den <= 0 {
		return 0
	}
	t := 2 * x / den
	return min(time.Duration(t*float64(time.Second)), seg.dur)
}

// RateAt returns the target rate at offset t, in requests per second.
func (s *Schedule) RateAt(t time.Duration) float64 {
	for i := range s.segs {
		seg := &s.segs[i]
		if t < seg.start+seg.dur {
			f := float64(t-seg.start) / float64(seg.dur)
			return seg.r0 + (seg.r1-seg.r0)*max(f, 0)
		}
	}
	return 0
}
