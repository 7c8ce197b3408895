package loadtest

import (
	"context"
	"time"
)

// Clock is the time source of a run; tests inject a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends; it reports whether the full d elapsed.
	Sleep(ctx context.Context, d time.Duration) bool
}

// timerGrain is how late a Go timer may fire. The runtime's poller waits in whole
// milliseconds on Linux, so a sender whose timer is the only thing left to wait for wakes
// up to a millisecond after its request was due: at 2,000/s, half a millisecond of every
// latency measured from the schedule was the generator's own (docs/loadtest.md,
// "Timing").
const timerGrain = 2 * time.Millisecond

// realClock is the wall clock (with its monotonic reading).
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Sleep waits on a Go timer until timerGrain before the end, then the rest in the
// kernel (preciseSleep), which wakes within tens of microseconds. Only the last part
// cannot be interrupted by ctx, and it is at most timerGrain long.
func (realClock) Sleep(ctx context.Context, d time.Duration) bool {
	end := time.Now().Add(d)
	if coarse := d - timerGrain; coarse > 0 {
		t := time.NewTimer(coarse)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	if ctx.Err() != nil {
		return false
	}
	preciseSleep(time.Until(end))
	return true
}
