// Package loadtest is Bandeira's ISO 8583 load generator: an open model (a constant or
// staged arrival rate, latency measured from each request's scheduled send time so a
// stalled server cannot hide its queue) and a closed model (a fixed number of requests in
// flight with optional think time), a weighted traffic mix over deterministic test cards,
// HdrHistogram latency percentiles, per-second time series, and text, JSON and HTML
// reports with CI thresholds.
//
// Requests are not packed through the codec one by one: each message kind is packed once
// through iso.Pack into a template, and the variable bytes (PAN, amount, STAN, times, RRN,
// terminal, original data) are patched in place, so the generator stays far below the
// cost of the system under test. Replies are scanned with a field layout derived from
// iso.Spec and matched by the full key: MTI class, terminal (41), STAN (11) and
// transmission time (7).
//
// Memory is bounded for any duration: histograms are per second and merged, and no
// per-request state outlives the request.
package loadtest
