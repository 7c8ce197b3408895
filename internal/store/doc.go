// Package store is the storage core under every party that keeps durable state: the
// issuers' books, the acquirer's journal and, as they come, store-and-forward queues, the
// gateway's durable duplicate keys, the networks' token vaults and the wallet's data. It
// owns the machinery those stores share, so that it exists once:
//
//   - DB: an SQLite database (pure-Go driver modernc.org/sqlite) in WAL mode with a
//     chosen synchronous setting, immediate write transactions and a busy timeout, its
//     schema migrated by a list of migrations counted in PRAGMA user_version (a database
//     newer than the binary fails with ErrNewerSchema), and a read-only handle beside the
//     writer (OpenReadOnly: the file is opened read-only, mode=ro).
//   - Writer: the group-commit writer. Callers change the owner's in-memory state and join
//     the current Batch under the owner's mutex; one goroutine commits each batch in one
//     transaction and only then releases its calls, in order. A failed commit fails the
//     writer for good.
//   - Insert: a multi-row INSERT prepared once per row count, written in chunks.
//   - Log: an append-only log of CRC-framed records in segment files, for a store that
//     is only appended to while it runs and read whole when it opens (the gateway's
//     keys): one write and one fdatasync per batch, through a Writer whose
//     WriterConfig.Write commits.
//   - Upserts: a batch's changes for owners that keep whole rows by key (the network's
//     token vaults, the wallet): the last row of a key in a batch is written, as an upsert.
//   - Index: a compact index from a 64-bit hash of a key to an id, with an exact map for
//     the keys whose hash another key already has; bounded, it keeps the newest keys in two
//     generations (never one whose item is not committed) and tells its owner when a miss
//     must be looked for on disk.
//   - Cache: a bounded two-generation cache of items by id that never drops an item whose
//     changes are not yet committed, and reads misses back from disk.
//
// What each store writes, and the rules it keeps, stay with its owner (books, journal).
// The owner keeps its own metric names and wires them to Metrics.
//
// Everything specific to SQLite's dialect (connection strings, PRAGMAs, placeholders)
// is in sqlite.go; docs/ledger.md says how a PostgreSQL adapter would fit.
//
// Import rule: this package imports the standard library, the SQLite driver and the
// Prometheus client only. The parties import it; it never imports them.
package store
