package loadtest

// maxSTAN is the largest system trace audit number (six digits).
const maxSTAN = 999_999

// slot is one request in flight on a connection.
type slot struct {
	busy   bool
	idx    int32 // the slot's own index in its window
	kind   Kind
	stan   uint32
	card   int32
	amount uint64
	f7     [10]byte
	due    int64 // when the latency clock starts: the scheduled time (open) or the send (closed), ns from the start
	sent   int64 // when it was written, ns from the start
}

// window is a connection's table of requests in flight. Each connection owns a slice of
// the STAN space, [base+1, base+span], because issuers key transactions by acquirer ID,
// STAN and transmission time, not by terminal: STANs must be unique across connections.
// Every send takes the next STAN of the slice, whatever is in flight or dropped, so a STAN
// comes back only after span sends on the connection; bySTAN maps a STAN to its slot
// without a search. A window is not safe for concurrent use: its connection's mutex
// guards it.
type window struct {
	slots    []slot
	free     []int32 // FIFO ring of free slot indexes
	head, n  int     // the ring's first free index and how many are free
	bySTAN   []int32 // slot index + 1 of each STAN of the slice in flight, 0 if none
	base     uint64
	cursor   uint64 // the next STAN is base + cursor + 1
	inFlight int
}

// newWindow returns a window of size slots (at most span) over STANs base+1 to base+span.
func newWindow(size int, base, span uint64) window {
	size = max(1, min(size, int(span)))
	w := window{slots: make([]slot, size), free: make([]int32, size), n: size,
		bySTAN: make([]int32, span), base: base}
	for i := range w.free {
		w.free[i] = int32(i)
	}
	return w
}

// stanSpan returns the STAN slice of connection id of n: base and length.
func stanSpan(id, n int) (base, span uint64) {
	span = uint64(maxSTAN / max(n, 1))
	return uint64(id) * span, span
}

// acquire returns a free slot holding the next STAN; ok is false when every slot is busy.
// A STAN still in flight from the previous cycle of the slice is skipped.
func (w *window) acquire() (s *slot, ok bool) {
	if w.n == 0 {
		return nil, false
	}
	span := uint64(len(w.bySTAN))
	for range len(w.slots) + 1 {
		c := w.cursor
		w.cursor = (w.cursor + 1) % span
		if w.bySTAN[c] != 0 {
			continue // a request has lived through a whole cycle of the slice
		}
		i := w.free[w.head]
		w.head = (w.head + 1) % len(w.free)
		w.n--
		w.bySTAN[c] = i + 1
		s = &w.slots[i]
		*s = slot{busy: true, idx: i, stan: uint32(w.base + c + 1)}
		w.inFlight++
		return s, true
	}
	return nil, false
}

// lookup returns the busy slot holding stan, or nil.
func (w *window) lookup(stan uint32) *slot {
	c := uint64(stan) - w.base - 1
	if uint64(stan) <= w.base || c >= uint64(len(w.bySTAN)) || w.bySTAN[c] == 0 {
		return nil
	}
	s := &w.slots[w.bySTAN[c]-1]
	if !s.busy || s.stan != stan {
		return nil
	}
	return s
}

// release frees s.
func (w *window) release(s *slot) {
	w.bySTAN[uint64(s.stan)-w.base-1] = 0
	w.free[(w.head+w.n)%len(w.free)] = s.idx
	w.n++
	s.busy = false
	w.inFlight--
}
