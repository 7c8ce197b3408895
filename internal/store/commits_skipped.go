//go:build benchnostore

package store

// skipCommits, in a build with the benchnostore tag, makes every Writer release its calls
// without writing anything: the server keeps its whole state in memory and nothing on disk.
// It exists for one measurement only, what the server costs without storage
// (scripts/bench.sh, docs/performance.md), the ceiling of any durability design. Such a
// binary loses everything at exit; never run it on data you want to keep.
const skipCommits = true
