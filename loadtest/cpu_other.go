//go:build !unix

package loadtest

import "time"

// ProcessCPU returns -1: this system has no getrusage(2), and the report says the
// generator's CPU was not measured.
func ProcessCPU() time.Duration { return -1 }
