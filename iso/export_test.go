package iso

import "time"

// WithWorkerIdle sets how long the Server's request goroutines wait for their
// connection's next request before they exit (defaultWorkerIdle otherwise).
func WithWorkerIdle(d time.Duration) ServerOption {
	return func(s *Server) { s.workerIdle = d }
}
