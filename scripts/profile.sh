#!/usr/bin/env bash
# scripts/profile.sh: where the CPU of a durable round trip goes. Starts `bandeira run`
# (synchronous=full, loopback, free ports, a temporary data directory) with --cpu-profile,
# drives it with bandeira loadtest's closed model (64 in flight, purchases) in its own
# process, and prints answers/s, latency, the server's CPU µs per answer (from
# /proc/PID/stat) and that CPU split by category (scripts/pprof_categories.py).
#
#   scripts/profile.sh                                  # build from this tree, 20 s
#   scripts/profile.sh --bin /tmp/bandeira-main --duration 30s --out /tmp/prof-main
#
# docs/performance.md reads its output. Needs go, jq and python3. Loopback only.
set -euo pipefail

bin=""
duration=20s
out=""
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bin=${2:?--bin needs a path}; shift 2 ;;
	--duration) duration=${2:?--duration needs a duration}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	-h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "profile.sh: unknown flag $1 (try --help)" >&2; exit 2 ;;
	esac
done
for c in go jq python3; do
	command -v "$c" >/dev/null || { echo "profile.sh: $c is not on PATH" >&2; exit 1; }
done

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bandeira-profile.XXXXXX")
[ -n "$out" ] || out=$work/out
mkdir -p "$out"
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "$out" = "$work/out" ]; then
		rm -rf "$work/data" "$work/bandeira" # the profile and reports stay in $work/out
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$bin" ]; then
	bin=$work/bandeira
	(cd "$root" && go build -o "$bin" ./cmd/bandeira)
fi
cat >"$work/config.yaml" <<EOF
listen: {gateway: "127.0.0.1:0", http: "127.0.0.1:0", wallet: "127.0.0.1:0"}
log: {level: warn}
EOF
"$bin" run --config "$work/config.yaml" --data-dir "$work/data" --addr-file "$work/addr" \
	--cpu-profile "$out/cpu.prof" >"$out/run.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
	[ -s "$work/addr" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$out/run.log" >&2; exit 1; }
	sleep 0.1
done
[ -s "$work/addr" ] || { echo "profile.sh: bandeira run did not serve within 60 s" >&2; exit 1; }
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; } # utime + stime, clock ticks
hz=$(getconf CLK_TCK)
before=$(ticks)
"$bin" loadtest --target "$(head -n 1 "$work/addr")" --concurrency 64 --mix purchase=1 \
	--duration "$duration" --quiet --json "$out/loadtest.json" >/dev/null
after=$(ticks)
kill -INT "$pid"
wait "$pid" || true
pid=""
answered=$(jq .requests.answered "$out/loadtest.json")
cpu=$(awk -v a="$before" -v b="$after" -v n="$answered" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')
jq -r --arg cpu "$cpu" '"answers/s \(.rate.achieved | floor)  p50 \(.latency_ms.p50) ms  p99 \(.latency_ms.p99) ms  server CPU \($cpu) µs per answer  (generator \(.generator_cpu_us_per_request) µs)"' "$out/loadtest.json"
python3 "$root/scripts/pprof_categories.py" "$out/cpu.prof" "$cpu"
echo "profile: $out/cpu.prof (go tool pprof -top $out/cpu.prof)"
