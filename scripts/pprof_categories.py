#!/usr/bin/env python3
"""pprof_categories.py PROFILE [CPU_US_PER_ANSWER]

Splits a Go CPU profile by what the time was spent on. Each sample goes to the first
category, in the order below, that any frame of its stack matches (so the allocations and
syscalls SQLite makes count as SQLite); samples no category claims go to the Bandeira
package of their innermost Bandeira frame, else to "other". Given the process's CPU µs per
answer, it converts each share to µs per answer. Used by scripts/profile.sh and
docs/performance.md.
"""
import re
import subprocess
import sys

CATEGORIES = [
    ("fsync and fdatasync (SQLite commits, the key log)", r"[Ff]sync|[Ff]datasync"),
    ("store.Log appends (the gateway's keys), but fdatasync", r"bandeira/internal/store\.\(\*Log\)"),
    ("socket reads and writes", r"internal/poll\.\(\*FD\)\.(Read|Write)|net\.\(\*conn\)\.(Read|Write)"),
    ("SQLite and database/sql, but fsync", r"^modernc\.org/|^database/sql"),
    ("ISO 8583 pack and unpack", r"moov-io/iso8583|bandeira/iso\.(Pack|Unpack)"),
    ("metrics (Prometheus)", r"prometheus/client_golang"),
    ("logging (zerolog)", r"rs/zerolog"),
    ("garbage collection", r"^runtime\.(gcBgMarkWorker|bgsweep|gcAssistAlloc|bgscavenge|gcDrain|markroot)"),
    ("scheduler, netpoll, futex, timers", r"^runtime\.(schedule|findRunnable|park_m|mcall|netpoll|futex|stopm|startm|notesleep|notewakeup|wakep|goexit0|exitsyscall|entersyscall|checkTimers|runqgrab|ready|goready)"),
    ("goroutine stacks", r"^runtime\.(newstack|copystack|morestack)"),
    ("other allocation", r"^runtime\.mallocgc"),
]
OWN = re.compile(r"^github\.com/bandeira/bandeira/([\w/]+?)\.")
# Whose SQLite work a sample of the SQLite category is: the first owner a frame names.
STORES = [
    ("the issuers' books", r"bandeira/issuers/books\."),
    ("the acquirer's journal", r"bandeira/acquirer\."),
    ("the gateway's durable keys", r"bandeira/gateway\."),
    ("store-and-forward, token vaults, wallet", r"bandeira/(internal/saf|network|wallet)\."),
]
SQLITE = "SQLite and database/sql, but fsync"


def seconds(text):
    m = re.match(r"\s*([\d.]+)(ns|us|µs|ms|s)\b", text)
    if not m:
        return None
    unit = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
    return float(m.group(1)) * unit


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cpu = float(sys.argv[2]) if len(sys.argv) > 2 else None
    traces = subprocess.run(["go", "tool", "pprof", "-traces", sys.argv[1]],
                            capture_output=True, text=True, check=True).stdout
    totals = {name: 0.0 for name, _ in CATEGORIES}
    stores = {}
    for block in traces.split("-----------+-------------------------------------------------------"):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines or seconds(lines[0]) is None:
            continue
        d = seconds(lines[0])
        # innermost first; a generic function's name holds spaces (its type arguments)
        frames = [re.sub(r"^\s*[\d.]+(ns|us|µs|ms|s)\s+", "", lines[0]).strip()]
        frames += [line.strip() for line in lines[1:]]
        name = next((n for n, rx in CATEGORIES if any(re.search(rx, f) for f in frames)), None)
        if name is None:
            own = next((m.group(1) for m in map(OWN.match, frames) if m), None)
            name = f"Bandeira: {own}" if own else "other (runtime, standard library)"
        totals[name] = totals.get(name, 0.0) + d
        if name == SQLITE:
            store = next((n for n, rx in STORES if any(re.search(rx, f) for f in frames)), "other")
            stores[store] = stores.get(store, 0.0) + d
    total = sum(totals.values())
    print("| category | share | µs per answer |" if cpu else "| category | share |")
    print("|---|---|---|" if cpu else "|---|---|")
    for name, t in sorted(totals.items(), key=lambda kv: -kv[1]):
        if t == 0:
            continue
        share = 100 * t / total
        print(f"| {name} | {share:.1f}% | {cpu * t / total:.1f} |" if cpu else f"| {name} | {share:.1f}% |")
    print(f"| total: {total:.1f} s of samples | 100% | {cpu:.1f} |" if cpu else f"| total: {total:.1f} s | 100% |")
    print()
    print(f"| {SQLITE}, by store | share of it |" + (" µs per answer |" if cpu else ""))
    print("|---|---|" + ("---|" if cpu else ""))
    sql = sum(stores.values()) or 1
    for name, t in sorted(stores.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {100 * t / sql:.1f}% |" + (f" {cpu * t / total:.1f} |" if cpu else ""))


if __name__ == "__main__":
    main()
