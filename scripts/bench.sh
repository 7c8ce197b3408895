#!/usr/bin/env bash
# scripts/bench.sh: measure Bandeira under load on this machine and print the table of
# issue 13 (and the --processes row of issue 9) as markdown.
#
#   scripts/bench.sh                     # 5 alternated rounds of 10 s runs (~15 min on 2 cores)
#   scripts/bench.sh --runs 3 --duration 20s
#   scripts/bench.sh --quick             # one round of 3 s runs, no search (~1 min): a smoke test
#
# It builds bandeira and iso's test binary once, then in every round runs, one after the
# other (so that every number in a ratio saw the same machine):
#
#   * BenchmarkLibraryEcho (iso): moov iso8583-connection's own client against an echo
#     server built from the library, 64 in flight on one connection: the baseline;
#   * the closed model (bandeira loadtest --concurrency 64 --mix purchase=1) against
#     bandeira run at synchronous=full, normal and off (issuers.ledger.synchronous, which
#     every store of the run follows);
#   * the same closed model against a bandeira built with -tags benchnostore, whose stores
#     write nothing (internal/store/commits_skipped.go): what the server costs without
#     storage, the ceiling of any durability design;
#   * the same closed model against bandeira loadtest --echo-server: the generator's ceiling;
#   * the open model (default mix) at 2,000/s and at 13,236/s (VisaNet's peak) at each
#     synchronous setting;
#   * the closed model against bandeira run --processes (synchronous=full);
#   * BenchmarkFdatasync (internal/store) in the work directory: what one durable commit
#     waits for on this disk (a 4 KB write and fdatasync, appended and in place).
#
# Every run gets a fresh `bandeira run` (loopback, free ports, a temporary data directory)
# and bandeira loadtest in its own process. Medians are over the rounds; ratios are the
# median of the per-round ratios. After the rounds, unless --quick or --no-search, it looks
# for the highest open-model rate whose p99 is at most 10 ms at synchronous=full (bisection,
# single runs). Everything it starts is stopped and its files deleted on exit.
#
# Needs go and jq. Loopback only.
set -euo pipefail

usage() {
	sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'
	echo "Flags: --runs N (5)  --duration D (10s)  --quick  --no-search  --keep (keep the work directory)"
}

runs=5
duration=10s
search=1
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:?--runs needs a number}; shift 2 ;;
	--duration) duration=${2:?--duration needs a duration such as 10s}; shift 2 ;;
	--quick) runs=1; duration=3s; search=0; shift ;;
	--no-search) search=0; shift ;;
	--keep) keep=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
	esac
done
case "$runs" in '' | *[!0-9]* | 0) echo "bench.sh: --runs must be a positive integer" >&2; exit 2 ;; esac
command -v go >/dev/null || { echo "bench.sh: go is not on PATH" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench.sh: jq is not on PATH" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bandeira-bench.XXXXXX")
results="$work/results"
bin="$work/bandeira"
nostore="$work/bandeira-nostore"
srv_bin=$bin # the binary start runs
srv_pid=""
echo_pid=""

cleanup() {
	for p in "$srv_pid" "$echo_pid"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -INT "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	if [ "$keep" = 1 ]; then
		echo "bench.sh: kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench.sh: $*" >&2; }

# config SYNC writes the configuration of a run at synchronous=SYNC: free loopback ports
# for every listener (the gateway, HTTP, the wallet and, with --processes, every node).
config() {
	cat >"$work/sync-$1.yaml" <<EOF
listen: {gateway: "127.0.0.1:0", http: "127.0.0.1:0", wallet: "127.0.0.1:0"}
log: {level: warn}
issuers: {ledger: {synchronous: $1}}
nodes:
  "network:visa": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
  "network:mastercard": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
  "issuer:bancodobrasil": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
  "issuer:nubank": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
  "issuer:sicredi": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
EOF
}

# start SYNC [--processes] starts bandeira run on a fresh data directory and sets srv_pid
# and srv_addr (its ISO 8583 address) once it serves.
start() {
	local sync=$1 dir
	shift
	dir=$(mktemp -d "$work/data.XXXXXX")
	"$srv_bin" run "$@" --config "$work/sync-$sync.yaml" --data-dir "$dir/data" \
		--addr-file "$dir/addr" >"$dir/log" 2>&1 &
	srv_pid=$!
	srv_dir=$dir
	local _
	for _ in $(seq 1200); do
		if [ -s "$dir/addr" ]; then
			srv_addr=$(head -n 1 "$dir/addr")
			return 0
		fi
		if ! kill -0 "$srv_pid" 2>/dev/null; then
			log "bandeira run $* exited before serving:"
			cat "$dir/log" >&2
			exit 1
		fi
		sleep 0.1
	done
	log "bandeira run $* did not serve within 120 s"
	exit 1
}

# stop stops the run start started (SIGINT: it drains and commits) and deletes its data.
stop() {
	kill -INT "$srv_pid"
	wait "$srv_pid" || log "bandeira run exited with status $? (log: $srv_dir/log)"
	srv_pid=""
	[ "$keep" = 1 ] || rm -rf "$srv_dir"
}

# load NAME ARGS... runs bandeira loadtest against srv_addr and appends the run's numbers
# to the results, each as "NAME.metric value" (nothing when the run fails, which is logged).
load() {
	local name=$1 out="$work/$1.json"
	shift
	if ! "$bin" loadtest --target "$srv_addr" --duration "$duration" --quiet --json "$out" "$@" >/dev/null; then
		log "loadtest $name failed: that run is left out of the medians"
		return 0
	fi
	jq -r --arg n "$name" '
		"\($n).rate \(.rate.achieved)", "\($n).ratio \(.rate.ratio)",
		"\($n).p50 \(.latency_ms.p50)", "\($n).p99 \(.latency_ms.p99)",
		"\($n).dropped \(.requests.dropped)", "\($n).timedout \(.requests.timed_out)",
		"\($n).errors \([.requests.errors[]] | add // 0)"' "$out" >>"$results"
}

closed() { load "$1" --concurrency 64 --mix purchase=1; }

# moov_echo runs BenchmarkLibraryEcho and records its round trips per second.
moov_echo() {
	local ns
	ns=$("$work/iso.test" -test.run XXX -test.bench 'LibraryEcho$' -test.benchtime "$duration" |
		awk '/^BenchmarkLibraryEcho/ { for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") print $i }')
	[ -n "$ns" ] || { log "BenchmarkLibraryEcho printed no ns/op"; exit 1; }
	echo "moov.rate $(awk -v ns="$ns" 'BEGIN { printf "%.0f", 1e9 / ns }')" >>"$results"
}

# disk runs BenchmarkFdatasync on the work directory's filesystem (where the runs keep
# their data) and records its percentiles as disk.MODE.p50 and .p99, in µs.
disk() {
	TMPDIR=$work "$work/store.test" -test.run XXX -test.bench 'Fdatasync' -test.benchtime 2000x |
		awk '/^BenchmarkFdatasync\// {
			split($1, name, "/"); sub(/-[0-9]+$/, "", name[2])
			for (i = 1; i < NF; i++) {
				if ($(i+1) == "p50-us") print "disk." name[2] ".p50 " $i
				if ($(i+1) == "p99-us") print "disk." name[2] ".p99 " $i
			}
		}' >>"$results"
}

# generator_ceiling runs the closed model against bandeira loadtest --echo-server.
generator_ceiling() {
	local log
	log=$(mktemp "$work/echo.XXXXXX") # a new file: never the address of an earlier run
	"$bin" loadtest --echo-server 127.0.0.1:0 2>"$log" &
	echo_pid=$!
	local _
	for _ in $(seq 100); do
		srv_addr=$(sed -n 's/.*echo server on \([^ ]*\) .*/\1/p' "$log")
		[ -n "$srv_addr" ] && break
		sleep 0.1
	done
	[ -n "$srv_addr" ] || { log "the echo server did not start"; exit 1; }
	closed echoserver
	kill -INT "$echo_pid"
	wait "$echo_pid" || true
	echo_pid=""
}

# values KEY prints the recorded values of KEY, one a line.
values() { awk -v k="$1" '$1 == k { print $2 }' "$results"; }

# median KEY prints the median of KEY's values ("n/a" without any).
median() {
	values "$1" | sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# ratios NUM DEN records, for every round, NUM's rate over DEN's as "ratio.NUM.DEN".
ratios() {
	paste <(values "$1.rate") <(values "$2.rate") |
		awk -v k="ratio.$1.$2" '$2 > 0 { printf "%s %.4f\n", k, $1 / $2 }' >>"$results.ratios"
}

round() {
	local s
	log "round $1 of $runs: moov echo"
	moov_echo
	for s in full normal off; do
		log "round $1: closed model, synchronous=$s"
		start "$s"
		closed "closed.$s"
		stop
	done
	log "round $1: closed model, no storage (-tags benchnostore)"
	srv_bin=$nostore
	start off
	closed nostore
	stop
	srv_bin=$bin
	log "round $1: closed model against the loadtest echo server"
	generator_ceiling
	for rate in 2000 13236; do
		for s in full normal off; do
			log "round $1: open model at $rate/s, synchronous=$s"
			start "$s"
			load "open$rate.$s" --rate "$rate"
			stop
		done
	done
	log "round $1: closed model against run --processes"
	start full --processes
	closed processes
	stop
	log "round $1: fdatasync on this disk"
	disk
}

# try_rate RATE runs the open model at RATE at synchronous=full once and sets ok to true
# when p99 <= 10 ms, nothing was dropped or timed out and the rate ratio is at least 0.99.
try_rate() {
	start full
	load "search.$1" --rate "$1"
	stop
	ok=$(jq -r '.latency_ms.p99 <= 10 and .requests.dropped == 0 and .requests.timed_out == 0 and .rate.ratio >= 0.99' "$work/search.$1.json")
	log "search: $1/s p99 $(values "search.$1.p99") ms: $ok"
}

# search_rate finds the highest open-model rate (to 250/s) that try_rate accepts, by
# bisection between 2,000/s and 13,236/s, one run per rate.
search_rate() {
	local lo=0 hi=13236 mid
	try_rate 2000
	if [ "$ok" = true ]; then lo=2000; else hi=2000; fi
	while [ "$lo" -gt 0 ] && [ $((hi - lo)) -gt 250 ]; do
		mid=$(((lo + hi) / 2 / 250 * 250))
		[ "$mid" -gt "$lo" ] || break
		try_rate "$mid"
		if [ "$ok" = true ]; then lo=$mid; else hi=$mid; fi
	done
	echo "search.best $lo" >>"$results"
	echo "search.worst $hi" >>"$results"
}

cd "$root"
log "building into $work"
go build -o "$bin" ./cmd/bandeira
go build -tags benchnostore -o "$nostore" ./cmd/bandeira
go test -c -o "$work/iso.test" ./iso
go test -c -o "$work/store.test" ./internal/store
for s in full normal off; do config "$s"; done
: >"$results"
: >"$results.ratios"
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
for r in $(seq "$runs"); do round "$r"; done
if [ "$search" = 1 ]; then search_rate; fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)
for s in full normal off; do ratios "closed.$s" moov; done
ratios nostore moov
ratios closed.full nostore
ratios echoserver moov
ratios processes closed.full
cat "$results.ratios" >>"$results"

# Formatting helpers over the medians.
int() { awk -v v="$(median "$1")" 'BEGIN { if (v == "n/a") print v; else printf "%.0f", v }'; }
ms() { awk -v v="$(median "$1")" 'BEGIN { if (v == "n/a") print v; else printf "%.2f", v }'; }
ratio() { awk -v v="$(median "$1")" 'BEGIN { if (v == "n/a") print v; else printf "%.2f", v }'; }
closedcell() { echo "$(int "$1.rate")/s (p50 $(ms "$1.p50") ms, p99 $(ms "$1.p99") ms)"; }
opencell() {
	echo "p99 $(ms "$1.p99") ms, p50 $(ms "$1.p50") ms; dropped $(int "$1.dropped"), timed out $(int "$1.timedout"), ratio $(awk -v v="$(median "$1.ratio")" 'BEGIN { printf "%.4f", v }')"
}

model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
cat <<EOF
Measured $started with \`scripts/bench.sh --runs $runs --duration $duration\` on $(nproc) CPUs
($model), $(go version | awk '{ print $3 }'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown);
load average $load_before before, $load_after after. Medians of $runs alternated rounds;
ratios are medians of the per-round ratios.

| | synchronous=full (default) | normal | off |
|---|---|---|---|
| closed model, 64 in flight, purchases | $(closedcell closed.full) | $(closedcell closed.normal) | $(closedcell closed.off) |
| … as a share of the moov echo | $(ratio ratio.closed.full.moov) | $(ratio ratio.closed.normal.moov) | $(ratio ratio.closed.off.moov) |
| moov echo (\`BenchmarkLibraryEcho\`, 64 in flight, same rounds) | $(int moov.rate)/s | | |
| closed model without storage (\`-tags benchnostore\`: the ceiling of any durability design) | $(closedcell nostore); $(ratio ratio.nostore.moov) of the moov echo; full reaches $(ratio ratio.closed.full.nostore) of it | | |
| loadtest against its \`--echo-server\` (the generator's ceiling) | $(closedcell echoserver) | | |
| open model at 2,000/s | $(opencell open2000.full) | $(opencell open2000.normal) | $(opencell open2000.off) |
| open model at 13,236/s | $(opencell open13236.full) | $(opencell open13236.normal) | $(opencell open13236.off) |
| this disk: a 4 KB write and fdatasync (\`BenchmarkFdatasync\`, 2,000 calls a round) | appended: p50 $(int disk.append.p50) µs, p99 $(int disk.append.p99) µs; in place: p50 $(int disk.overwrite.p50) µs, p99 $(int disk.overwrite.p99) µs | | |
EOF
if [ "$search" = 1 ]; then
	echo "| open model: highest rate with p99 ≤ 10 ms, 0 dropped/timed out, ratio ≥ 0.99 (single runs, bisection) | $(values search.best)/s (fails at $(values search.worst)/s) | | |"
fi
cat <<EOF

| closed model, 64 in flight, purchases, synchronous=full | answers/s | p50 | p99 |
|---|---|---|---|
| \`bandeira run\` (one process) | $(int closed.full.rate) | $(ms closed.full.p50) ms | $(ms closed.full.p99) ms |
| \`bandeira run --processes\` | $(int processes.rate) | $(ms processes.p50) ms | $(ms processes.p99) ms |
| \`--processes\` / one process | $(ratio ratio.processes.closed.full) | | |
EOF
