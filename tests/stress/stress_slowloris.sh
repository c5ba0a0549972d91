#!/usr/bin/env bash
# stress_slowloris.sh - the long slowloris (make stress; issue 17 row 10): 1,024 connections from
# 127.0.0.1 (= --max-connections) trickle request headers at 1 byte/s for 30 s against the default
# settings (per-ip-connections 256, header-timeout 10); /healthz is asked every 250 ms from 127.0.0.2
# and must always answer. Then the same for bodies (POSTs whose bodies trickle at 1 byte/s: the
# min-body-rate rule). Prints the figures (/healthz median and max, connections refused and cut).
# Before connguard.c: every probe timed out (5 s), nothing was cut, nothing logged.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$HERE/../integration/lib.sh"
STORM=${STORM:-$BUILD/stress/storm}
N=${SLOW_CONNECTIONS:-1024}
SECS=${SLOW_SECONDS:-30}
export OPENBLAS_NUM_THREADS=1
field() { sed -nE "s/.* $1=([0-9.]+).*/\1/p" <<<"$2"; }

daemon_start l --max-connections "$N"
for phase in headers body; do
    rc=0
    "$STORM" --port "${DPORT[l]}" --slowloris "$N" --slow-seconds "$SECS" --slow-phase "$phase" >"$TMP/$phase.out" 2>&1 || rc=$?
    sed 's/^/# /' "$TMP/$phase.out"
    sum=$(grep '^slowloris-summary' "$TMP/$phase.out" || true)
    [ "$rc" = 0 ] && [ "$(field probe_failed "$sum")" = 0 ] \
        && ok "$phase slowloris, $N connections: /healthz from 127.0.0.2 always answered (median $(field healthz_median_ms "$sum") ms, max $(field healthz_max_ms "$sum") ms)" \
        || not_ok "$phase slowloris: $sum"
    [ "$(field cut "$sum")" = "$N" ] && ok "$phase slowloris: all $N refused or cut within $SECS s" || not_ok "$phase slowloris: $sum"
done
req l GET /metrics
grep -E '^dnnfuser_connections_(refused|cut)_total' "$TMP/body" | sed 's/^/# /'
req l GET /healthz
[ "$code" = 200 ] && ok "healthy afterwards" || not_ok "/healthz $code"
daemon_signal l TERM
daemon_wait l 30
[ "$rc" -eq 0 ] && ok "exit 0 on SIGTERM" || not_ok "exit status $rc"
finish stress-slowloris
