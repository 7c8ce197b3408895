//go:build !linux

package loadtest

import "time"

// preciseSleep is time.Sleep where there is no timerfd(2).
func preciseSleep(d time.Duration) { time.Sleep(d) }
