#!/usr/bin/env bash
# bench_daemon_ab.sh - side by side load benchmark of two or more daemon binaries (a change against
# its baseline): every binary started at once on 127.0.0.1 (same flags as bench_daemon.sh), then
# BENCH_ROUNDS rounds in which each binary in turn takes BENCH_SECONDS of wrk (64 clients, ResNet-50
# POST /v1/map, BENCH_SOLVER, default transformer); per binary the medians of mappings/s, p50 and p99.
# The machine is shared: only figures of one run, alternating, are compared; the daemon's CPU time
# per mapping (/proc/PID/stat) is the steadier figure.
# usage: BENCH_SECONDS=6 BENCH_ROUNDS=5 bash tests/bench/bench_daemon_ab.sh OLD_DAEMON NEW_DAEMON [...]
set -euo pipefail
SECS=${BENCH_SECONDS:-6}
ROUNDS=${BENCH_ROUNDS:-5}
SOLVER=${BENCH_SOLVER:-transformer}
CLIENTS=${BENCH_CLIENTS:-64}
if ! command -v wrk >/dev/null; then
    echo "bench_daemon_ab: wrk not installed (apt-get install wrk); skipped"
    exit 0
fi
if [ $# -lt 2 ]; then # `make bench` runs every script without arguments: nothing to compare then
    echo "bench_daemon_ab: no binaries given (usage: $0 DAEMON_A DAEMON_B [...]); skipped"
    exit 0
fi
bins=("$@")
DAEMON=${bins[0]}
source "$(dirname "$0")/../integration/lib.sh"
export OPENBLAS_NUM_THREADS=1
for i in "${!bins[@]}"; do
    DAEMON=${bins[$i]}
    daemon_start "d$i" --max-connections 1100 --queue-depth 1024 --decode-slots 64
done
body="{\"workload\":\"resnet50\",\"hardware\":\"edge\",\"budget\":\"512KiB\",\"batch\":8,\"solver\":\"$SOLVER\"}"
lua=$TMP/post.lua
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$body" >"$lua"
for i in "${!bins[@]}"; do
    curl -s "http://127.0.0.1:${DPORT[d$i]}/v1/map" -H 'Content-Type: application/json' -d "$body" >/dev/null
    : >"$TMP/r$i.txt"
done
parse_wrk() { # -> "rps p50_ms p99_ms non2xx"
    awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 } $1 == "50.000%" || $1 == "50%" { p50 = ms($2) } $1 == "99.000%" || $1 == "99%" { p99 = ms($2) } /Non-2xx/ { bad = $NF }
        END { printf "%s %.2f %.2f %d\n", rps, p50, p99, bad + 0 }' "$1"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # the daemon's utime + stime, clock ticks
tck=$(getconf CLK_TCK)
for r in $(seq "$ROUNDS"); do
    for i in "${!bins[@]}"; do
        c0=$(cpu_ticks "${DPID[d$i]}")
        wrk -t2 -c"$CLIENTS" -d"${SECS}s" --latency -s "$lua" "http://127.0.0.1:${DPORT[d$i]}/v1/map" >"$TMP/w.txt"
        c1=$(cpu_ticks "${DPID[d$i]}")
        # "rps p50 p99 non2xx cpu_ms_per_mapping": the daemon's CPU time per answer (steadier than the
        # wall clock on a shared machine)
        echo "$(parse_wrk "$TMP/w.txt") $c0 $c1" | awk -v t="$tck" -v s="$SECS" \
            '{ printf "%s %s %s %s %.4f\n", $1, $2, $3, $4, ($1 > 0 ? ($6 - $5) * 1000 / t / ($1 * s) : 0) }' >>"$TMP/r$i.txt"
    done
done
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "ResNet-50 $SOLVER, $CLIENTS clients, $ROUNDS alternating rounds of ${SECS} s, load average $(cut -d' ' -f1-3 /proc/loadavg):"
for i in "${!bins[@]}"; do
    f=$TMP/r$i.txt
    printf "  %-40s median %7.1f mappings/s (rounds: %s), p50 %6.2f ms, p99 %7.2f ms, non-2xx %d, daemon CPU %.3f ms per mapping\n" "${bins[$i]}" \
        "$(awk '{print $1}' "$f" | med)" "$(awk '{printf "%.0f ", $1}' "$f" | sed 's/ $//')" \
        "$(awk '{print $2}' "$f" | med)" "$(awk '{print $3}' "$f" | med)" "$(awk '{ n += $4 } END { print n + 0 }' "$f")" \
        "$(awk '{print $5}' "$f" | med)"
done
