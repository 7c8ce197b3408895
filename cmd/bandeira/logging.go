package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// newLogger builds the process logger: JSON lines by default, a human console format on
// request. Timestamps are UTC with milliseconds. The console format is coloured only
// when w is a terminal, so a redirected log holds no escape codes.
//
// Every duration in Bandeira's logs is a float64 number of milliseconds in a field whose
// name ends in _ms (latency_ms, retry_in_ms, took_ms); TestLogDurationsCarryTheirUnit
// keeps it so. A writer that is not a file (a buffer given to Run) is wrapped in
// zerolog.SyncWriter, since lines come from several goroutines.
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Logger{}, fmt.Errorf("log level %q: want trace, debug, info, warn or error", level)
	}
	if _, ok := w.(*os.File); !ok {
		w = zerolog.SyncWriter(w) // a buffer is not safe for the lines of several goroutines; a file is
	}
	switch format {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000", NoColor: !isTerminal(w)}
	default:
		return zerolog.Logger{}, fmt.Errorf("log format %q: want json or console", format)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// isTerminal reports whether w is a terminal (a console, or a Cygwin or MSYS pty).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
