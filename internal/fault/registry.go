package fault

import (
	"cmp"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Registry holds the faults of this process by target. It is safe for concurrent use: a
// fault set or cleared applies to the next call that reaches the target, while calls
// already delayed or dropped finish as they started.
type Registry struct {
	seed uint64
	m    *Metrics

	mu    sync.Mutex
	slots map[Target]*slot
}

// slot is one target's fault and what its calls share.
type slot struct {
	target Target
	seed   uint64
	fault  atomic.Pointer[Fault] // nil: no fault

	mu  sync.Mutex // guards rng
	rng *rand.Rand

	active   prometheus.Gauge
	injected [len(kinds)]prometheus.Counter
}

// NewRegistry returns an empty registry whose random draws derive from seed. A nil m gets
// unregistered metrics.
func NewRegistry(seed uint64, m *Metrics) *Registry {
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Registry{seed: seed, m: m, slots: make(map[Target]*slot)}
}

// Seed returns the seed the registry's draws derive from.
func (r *Registry) Seed() uint64 { return r.seed }

// slot returns t's slot, creating it (and its metric series) on first use.
func (r *Registry) slot(t Target) *slot {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.slots[t]; ok {
		return s
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(t))
	s := &slot{target: t, seed: h.Sum64(), active: r.m.Active.WithLabelValues(string(t))}
	s.rng = rand.New(rand.NewPCG(r.seed, s.seed))
	for i, k := range kinds {
		s.injected[i] = r.m.Injected.WithLabelValues(string(t), k)
	}
	s.active.Set(0)
	r.slots[t] = s
	return s
}

// Set sets t's fault, replacing any other, after validating both; an invalid target or
// fault is an error and changes nothing. The target's random draws start over from the
// registry's seed.
func (r *Registry) Set(t Target, f Fault) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	s := r.slot(t)
	s.mu.Lock()
	s.rng = rand.New(rand.NewPCG(r.seed, s.seed))
	s.mu.Unlock()
	s.fault.Store(&f)
	s.active.Set(1)
	return nil
}

// Clear removes t's fault and reports whether there was one.
func (r *Registry) Clear(t Target) bool {
	r.mu.Lock()
	s, ok := r.slots[t]
	r.mu.Unlock()
	if !ok {
		return false
	}
	s.active.Set(0)
	return s.fault.Swap(nil) != nil
}

// ClearAll removes every fault and returns the targets that had one, sorted.
func (r *Registry) ClearAll() []Target {
	var cleared []Target
	for _, e := range r.List() {
		if r.Clear(e.Target) {
			cleared = append(cleared, e.Target)
		}
	}
	return cleared
}

// Get returns t's fault, if one is set.
func (r *Registry) Get(t Target) (Fault, bool) {
	r.mu.Lock()
	s, ok := r.slots[t]
	r.mu.Unlock()
	if !ok {
		return Fault{}, false
	}
	if f := s.fault.Load(); f != nil {
		return *f, true
	}
	return Fault{}, false
}

// List returns every fault set, sorted by target.
func (r *Registry) List() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Entry
	for t, s := range r.slots {
		if f := s.fault.Load(); f != nil {
			out = append(out, Entry{Target: t, Fault: *f})
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Target, b.Target) })
	return out
}

// draw decides, for one call under f, whether the request is dropped and how long it is
// delayed, drawing from the target's generator only for the parts f sets.
func (s *slot) draw(f *Fault) (drop bool, delay time.Duration) {
	if f.Drop <= 0 && f.Jitter <= 0 {
		return false, f.Latency
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Drop > 0 {
		drop = s.rng.Float64() < f.Drop
	}
	delay = f.Latency
	if !drop && f.Jitter > 0 {
		delay += time.Duration(s.rng.Int64N(int64(f.Jitter) + 1))
	}
	return drop, delay
}

// count adds one injection of kind.
func (s *slot) count(k kind) { s.injected[k].Inc() }
