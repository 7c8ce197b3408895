#!/usr/bin/env bash
# scripts/memory.sh: issue 13's memory run. Holds bandeira run under a steady open-model
# load and samples its memory, then says whether the resident set at the end is within
# 10% of its value at the reference minute (5 by default).
#
#   scripts/memory.sh                         # 30 minutes at 3,000/s, the default mix
#   scripts/memory.sh --stall 12 --stall 22   # and freeze the server 1 s after minutes 12 and 22
#   scripts/memory.sh --duration 8 --rate 2000 --interval 30
#
# bandeira run gets the default configuration on free loopback ports and a fresh data
# directory; bandeira loadtest runs in its own process. Every --interval seconds it prints
# VmRSS and VmHWM (/proc/PID/status), the Go heap in use, the memory the runtime holds
# from the OS, the next collection's heap goal and the goroutines (the server's /metrics),
# the server's CPU time so far and the load average. The Go runtime reads GOMEMLIMIT and
# GOGC from the environment: `GOMEMLIMIT=700MiB scripts/memory.sh` runs the server with a
# memory limit. --stall M stops the server with SIGSTOP for one second right after
# minute M's sample: what a shared machine does to it now and then, on purpose, so that
# runs compare. At the end it prints the generator's summary and the verdict.
#
# Needs go, curl and jq. Loopback only.
set -euo pipefail

usage() {
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	echo "Flags: --duration MINUTES (30)  --rate N (3000)  --interval SECONDS (60)"
	echo "       --reference MINUTE (5)  --stall MINUTE (repeatable)  --bin PATH (build otherwise)  --keep"
}

minutes=30
rate=3000
interval=60
reference=5
stalls=" "
bin=""
keep=0
number() { case "$2" in '' | *[!0-9]*) echo "memory.sh: $1 needs a whole number, not '$2'" >&2; exit 2 ;; esac; }
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) number "$1" "${2:-}"; minutes=$2; shift 2 ;;
	--rate) number "$1" "${2:-}"; rate=$2; shift 2 ;;
	--interval) number "$1" "${2:-}"; interval=$2; shift 2 ;;
	--reference) number "$1" "${2:-}"; reference=$2; shift 2 ;;
	--stall) number "$1" "${2:-}"; stalls="$stalls$2 "; shift 2 ;;
	--bin) bin=${2:?--bin needs a path}; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "memory.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
	esac
done
[ "$minutes" -gt 0 ] && [ "$rate" -gt 0 ] && [ "$interval" -gt 0 ] ||
	{ echo "memory.sh: --duration, --rate and --interval must be above 0" >&2; exit 2; }
[ "$reference" -lt "$minutes" ] || { echo "memory.sh: --reference must come before the end (--duration)" >&2; exit 2; }
for c in go curl jq; do command -v "$c" >/dev/null || { echo "memory.sh: $c is not on PATH" >&2; exit 1; }; done

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bandeira-memory.XXXXXX")
srv_pid=""
lt_pid=""
cleanup() {
	for p in "$lt_pid" "$srv_pid"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -CONT "$p" 2>/dev/null || true
			kill -INT "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	if [ "$keep" = 1 ]; then echo "memory.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "memory.sh: $*" >&2; }

if [ -z "$bin" ]; then
	log "building bandeira"
	(cd "$root" && go build -o "$work/bandeira" ./cmd/bandeira)
	bin="$work/bandeira"
fi

printf 'listen: {gateway: "127.0.0.1:0", http: "127.0.0.1:0", wallet: "127.0.0.1:0"}\nlog: {level: warn}\n' >"$work/config.yaml"
"$bin" run --config "$work/config.yaml" --data-dir "$work/data" --addr-file "$work/addr" >"$work/run.log" 2>&1 &
srv_pid=$!
serving() { [ -f "$work/addr" ] && [ "$(wc -l <"$work/addr")" -ge 2 ]; }
for _ in $(seq 1200); do
	serving && break
	kill -0 "$srv_pid" 2>/dev/null || { log "bandeira run exited before serving:"; cat "$work/run.log" >&2; exit 1; }
	sleep 0.1
done
serving || { log "bandeira run did not serve within 120 s"; exit 1; }
gateway=$(sed -n 1p "$work/addr")
metrics="http://$(sed -n 2p "$work/addr")/metrics"

log "bandeira run (pid $srv_pid) on $gateway; loadtest at $rate/s for $minutes min"
"$bin" loadtest --target "$gateway" --rate "$rate" --duration "${minutes}m" --quiet --json "$work/loadtest.json" \
	>"$work/loadtest.txt" 2>&1 &
lt_pid=$!

# sample prints one row of the table and remembers its VmRSS (KiB) as rss_at[second].
declare -A rss_at
sample() {
	local s=$1 m rss hwm
	m=$(curl -s --max-time 5 "$metrics" || true)
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$srv_pid/status")
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$srv_pid/status")
	rss_at[$s]=$rss
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$srv_pid/stat")
	echo "$m" | awk -v s="$s" -v rss="$rss" -v hwm="$hwm" -v cpu="$cpu" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
		$1 == "go_memstats_heap_inuse_bytes" { heap = $2 }
		$1 == "go_memstats_sys_bytes" { sys = $2 }
		$1 == "go_memstats_next_gc_bytes" { goal = $2 }
		$1 == "go_goroutines" { g = $2 }
		END { printf "| %d:%02d | %d | %d | %d | %d | %d | %d | %s | %s |\n", s / 60, s % 60,
			rss / 1024, hwm / 1024, heap / 1e6, sys / 1e6, goal / 1e6, g, cpu, load }'
}

echo "| elapsed | VmRSS MiB | VmHWM MiB | heap in use MB | runtime's memory MB | heap goal MB | goroutines | server CPU s | load |"
echo "|---|---|---|---|---|---|---|---|---|"
start=$(date +%s)
end=$((minutes * 60))
for ((s = 0; s <= end; s += interval)); do
	while [ $(($(date +%s) - start)) -lt "$s" ]; do sleep 0.2; done
	kill -0 "$srv_pid" 2>/dev/null || { log "bandeira run exited during the run:"; tail -20 "$work/run.log" >&2; exit 1; }
	sample "$s"
	if [ $((s % 60)) -eq 0 ] && [[ "$stalls" == *" $((s / 60)) "* ]]; then
		kill -STOP "$srv_pid"
		sleep 1
		kill -CONT "$srv_pid"
		echo "| | stalled 1 s (SIGSTOP) | | | | | | | |"
	fi
done
wait "$lt_pid" || log "loadtest exited with status $?"
lt_pid=""
kill -INT "$srv_pid"
wait "$srv_pid" || log "bandeira run exited with status $? (log: $work/run.log)"
srv_pid=""

echo
jq -r '"loadtest: \(.requests.sent) sent, \(.requests.answered) answered, \(.requests.dropped) dropped, \(.requests.timed_out) timed out; p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, max \(.latency_ms.max) ms"' \
	"$work/loadtest.json"
ref=${rss_at[$((reference * 60))]:-}
last=${rss_at[$(((end / interval) * interval))]:-}
[ -n "$ref" ] || { log "no sample at minute $reference: choose an --interval that divides 60"; exit 1; }
awk -v r="$ref" -v e="$last" -v m="$reference" 'BEGIN {
	d = (e - r) / r * 100
	printf "VmRSS at minute %d: %d MiB; at the end: %d MiB (%+.1f%%): %s\n", m, r / 1024, e / 1024, d,
		(d <= 10 && d >= -10) ? "within 10%" : "NOT within 10%" }'
