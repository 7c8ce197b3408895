package store

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkFdatasync measures what a durable commit waits for on the disk under the
// temporary directory (set TMPDIR to the data directory's filesystem): a 4 KB write, then
// fdatasync(2), one at a time. "append" grows the file as a log does; "overwrite" writes in
// place over blocks already on disk, as SQLite's write-ahead log does once it wraps. It
// reports the median and the 99th percentile of the fdatasync calls alone (p50-us,
// p99-us). scripts/bench.sh prints them beside its table: at synchronous=full an approval
// waits for three commits in sequence, so three of these calls are a floor under its
// latency, whatever the build.
func BenchmarkFdatasync(b *testing.B) {
	for _, mode := range []string{"append", "overwrite"} {
		b.Run(mode, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "sync"))
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			page := make([]byte, 4096)
			if mode == "overwrite" { // the blocks exist on disk before the first timed call
				if _, err := f.Write(make([]byte, len(page)*b.N)); err != nil {
					b.Fatal(err)
				}
				if err := fdatasync(f); err != nil {
					b.Fatal(err)
				}
			}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				page[0] = byte(i)
				if _, err := f.WriteAt(page, int64(i*len(page))); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if err := fdatasync(f); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(took)
			us := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))]) / 1e3 }
			b.ReportMetric(us(0.5), "p50-us")
			b.ReportMetric(us(0.99), "p99-us")
		})
	}
}
