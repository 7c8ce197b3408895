//go:build unix

package loadtest

import (
	"syscall"
	"time"
)

// ProcessCPU returns the CPU time (user + system) this process has used, or -1 when the
// system does not say. The report divides the generator's share by the requests; the
// benchmarks of cmd/bandeira divide the whole network's by the round trips.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
