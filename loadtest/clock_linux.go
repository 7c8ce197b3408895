package loadtest

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// timerfd is a non-blocking timerfd(2), read through the runtime's poller.
type timerfd struct {
	f  *os.File
	fd int // f's descriptor: f.Fd() would make f blocking
}

// idleTimerfds are the timerfds no sleeper holds; there are at most as many as sleepers
// at once (one per connection's sender).
var idleTimerfds struct {
	sync.Mutex
	free []*timerfd
}

func takeTimerfd() *timerfd {
	idleTimerfds.Lock()
	defer idleTimerfds.Unlock()
	if n := len(idleTimerfds.free); n > 0 {
		t := idleTimerfds.free[n-1]
		idleTimerfds.free = idleTimerfds.free[:n-1]
		return t
	}
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil
	}
	return &timerfd{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
}

func putTimerfd(t *timerfd) {
	idleTimerfds.Lock()
	idleTimerfds.free = append(idleTimerfds.free, t)
	idleTimerfds.Unlock()
}

// preciseSleep sleeps for d on a timerfd: the kernel's high-resolution timer makes it
// readable when d has passed, and the runtime's poller, which returns at once for a ready
// file (its own timeout is what has the millisecond grain), readies the goroutine. The
// goroutine is parked meanwhile, not blocked in a system call, so its thread and P serve
// the receivers (nanosleep(2) held the P, and answers waited up to 15 ms for the runtime
// to take it back). Without a working timerfd it falls back to time.Sleep.
func preciseSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	end := time.Now().Add(d)
	t := takeTimerfd()
	if t == nil {
		time.Sleep(d)
		return
	}
	if err := t.wait(d); err != nil {
		_ = t.f.Close()
		time.Sleep(time.Until(end))
		return
	}
	putTimerfd(t)
}

// wait arms t to expire in d and reads it, which parks the goroutine until it does.
func (t *timerfd) wait(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(t.fd, 0, &spec, nil); err != nil {
		return err
	}
	var expirations [8]byte
	_, err := t.f.Read(expirations[:])
	return err
}
