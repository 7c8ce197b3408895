//go:build !linux

package loadtest

import "time"

// preciseSleep is time.Sleep where nanosleep(2) is not wired in.
func preciseSleep(d time.Duration) { time.Sleep(d) }
