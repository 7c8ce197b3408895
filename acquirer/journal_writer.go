package acquirer

import (
	"github.com/bandeira/bandeira/internal/store"
)

// startWriter starts the group-commit writer of the journal's batches: each batch is the
// entries recorded since the last one, written with one multi-row INSERT per 64 entries.
// Calls that journal nothing but wait for an original in flight join a batch too; a batch
// with no entries is released once every batch before it has committed.
func (j *Journal) startWriter() *store.Writer[[]Entry, []Entry] {
	insert := store.NewInsert("INSERT INTO entries ("+entryColumns+") VALUES ", "", entryColumnCount)
	var args []any // the writer goroutine's scratch row
	return store.NewWriter(j.db, store.WriterConfig[[]Entry, []Entry]{
		Mu:   &j.mu,
		Take: func(entries *[]Entry) []Entry { return *entries }, // values: later batches cannot change them
		Stage: func(entries []Entry) {
			for i := range entries {
				args = appendEntryArgs(args[:0], &entries[i])
				insert.Add(args...)
			}
			clear(args) // keep no strings alive between batches
		},
		Inserts: []*store.Insert{insert},
		Committed: func(_ uint64, entries []Entry) {
			for i := range entries {
				j.counts[entries[i].Kind].Inc()
			}
		},
		Failed: func(err error) {
			j.log.Error().Err(err).Msg("commit failed; the journal records nothing more until reopened")
		},
		Metrics:   store.Metrics{CommitDuration: j.metrics.JournalCommit},
		ErrClosed: ErrJournalClosed,
		ErrFailed: ErrJournalFailed,
	})
}
