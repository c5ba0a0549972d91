#!/usr/bin/env bash
# bench_daemon.sh - load benchmark of the live daemon on loopback with wrk (run by `make bench`):
#   /healthz requests/s; ResNet-50 POST /v1/map (transformer, edge, 512 KiB, batch 8) mappings/s and
#   p50/p99 latency at 1, 16 and 64 concurrent clients, with the mean decode batch reached (from the
#   dnnfuser_decode_batch_size histogram); at 64 clients transformer and exact in alternating rounds
#   (BENCH_ROUNDS, medians); daemon RSS
#   at rest and under 1,000 open connections. Bounded: every wrk run is BENCH_SECONDS (default 8) long.
# wrk and the daemon share the machine's cores, so the figures are lower bounds.
set -euo pipefail
BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-8}
if ! command -v wrk >/dev/null; then
    echo "bench_daemon: wrk not installed (apt-get install wrk); skipped"
    exit 0
fi
source "$(dirname "$0")/../integration/lib.sh"
export OPENBLAS_NUM_THREADS=1
ulimit -n 4096 2>/dev/null || true

daemon_start b --max-connections 1100 --queue-depth 1024 --decode-slots 64
port=${DPORT[b]}
pid=${DPID[b]}
url=http://127.0.0.1:$port

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
metric() { curl -s "$url/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

post_lua() { # $1 = JSON body
    local f=$TMP/post_$RANDOM.lua
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$1" >"$f"
    echo "$f"
}

# wrk --latency output -> "rps p50_ms p99_ms non2xx"
parse_wrk() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        $1 == "50.000%" { p50 = ms($2) }
        $1 == "99.000%" { p99 = ms($2) }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx/ { bad = $NF }
        /Socket errors/ { err = $0 }
        END { printf "%s %.2f %.2f %d\n", rps, p50, p99, bad + 0 }' "$1"
}

rest0=$(rss_kib)
echo "daemon on $url, RSS at rest $((rest0 / 1024)) MiB ($rest0 KiB)"

wrk -t2 -c16 -d"${SECS}s" --latency "$url/healthz" >"$TMP/h.txt"
read -r rps p50 p99 bad < <(parse_wrk "$TMP/h.txt")
printf "GET /healthz, 16 clients: %.0f req/s, p50 %s ms, p99 %s ms, non-2xx %s\n" "$rps" "$p50" "$p99" "$bad"

# "solver":"transformer" explicitly: the default (auto) answers this small problem with exact
body='{"workload":"resnet50","hardware":"edge","budget":"512KiB","batch":8,"solver":"transformer"}'
lua=$(post_lua "$body")
curl -s "$url/v1/map" -H 'Content-Type: application/json' -d "$body" >/dev/null # warm up
for c in 1 16 64; do
    t=$((c < 2 ? 1 : 2))
    s0=$(metric dnnfuser_decode_batch_size_sum); n0=$(metric dnnfuser_decode_batch_size_count)
    wrk -t$t -c$c -d"${SECS}s" --latency -s "$lua" "$url/v1/map" >"$TMP/m$c.txt"
    s1=$(metric dnnfuser_decode_batch_size_sum); n1=$(metric dnnfuser_decode_batch_size_count)
    read -r rps p50 p99 bad < <(parse_wrk "$TMP/m$c.txt")
    mb=$(awk -v a="$s0" -v b="$s1" -v x="$n0" -v y="$n1" 'BEGIN { if (y > x) printf "%.1f", (b - a) / (y - x); else print "n/a" }')
    printf "POST /v1/map resnet50 transformer, %2d clients: %7.1f mappings/s, p50 %7.2f ms, p99 %7.2f ms, mean decode batch %s, non-2xx %s, RSS %d MiB\n" \
        "$c" "$rps" "$p50" "$p99" "$mb" "$bad" "$(($(rss_kib) / 1024))"
done

# 64 clients, transformer and exact side by side: BENCH_ROUNDS (default 3) alternating rounds of one wrk
# run each, medians (the machine is shared: only the ratio of the two is a steady figure)
elua=$(post_lua '{"workload":"resnet50","hardware":"edge","budget":"512KiB","batch":8,"solver":"exact"}')
ROUNDS=${BENCH_ROUNDS:-3}
: >"$TMP/t64.txt"
: >"$TMP/e64.txt"
for r in $(seq "$ROUNDS"); do
    wrk -t2 -c64 -d"${SECS}s" --latency -s "$lua" "$url/v1/map" >"$TMP/t.txt"
    parse_wrk "$TMP/t.txt" >>"$TMP/t64.txt"
    wrk -t2 -c64 -d"${SECS}s" --latency -s "$elua" "$url/v1/map" >"$TMP/e.txt"
    parse_wrk "$TMP/e.txt" >>"$TMP/e64.txt"
done
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for s in t e; do
    f=$TMP/${s}64.txt
    rps=$(awk '{print $1}' "$f" | med); p50=$(awk '{print $2}' "$f" | med); p99=$(awk '{print $3}' "$f" | med)
    bad=$(awk '{ n += $4 } END { print n + 0 }' "$f")
    name=$([ "$s" = t ] && echo "transformer" || echo "exact      ")
    printf "POST /v1/map resnet50 %s, 64 clients, medians of %d alternating rounds: %7.1f mappings/s, p50 %7.2f ms, p99 %7.2f ms, non-2xx %s\n" \
        "$name" "$ROUNDS" "$rps" "$p50" "$p99" "$bad"
    eval "rps_$s=$rps"
done
awk -v a="$rps_t" -v b="$rps_e" 'BEGIN { printf "transformer / exact mappings/s at 64 clients: %.2fx\n", a / b }'

# 1,000 open connections: wrk holds them open (keep-alive) while it loads /healthz; RSS sampled mid-run
wrk -t2 -c1000 -d"${SECS}s" "$url/healthz" >"$TMP/k.txt" 2>&1 &
wpid=$!
sleep $((SECS / 2))
busy=$(rss_kib)
open=$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -c socket || true)
wait "$wpid" || true
read -r rps p50 p99 bad < <(parse_wrk "$TMP/k.txt")
sleep 1
after=$(rss_kib)
printf "1000 connections: %d sockets open in the daemon, RSS %d MiB under load (%.0f req/s), %d MiB after (at rest before: %d MiB)\n" \
    "$open" "$((busy / 1024))" "$rps" "$((after / 1024))" "$((rest0 / 1024))"
grep -E "Socket errors" "$TMP/k.txt" || true
