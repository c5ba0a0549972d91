#!/usr/bin/env bash
# stress_storm.sh - the long hostile-input storm (make stress): STORM_ROUNDS rounds (default 3) of
# STORM_REQUESTS (default 40,000) requests each from tests/stress/storm.c against one daemon, with
# valid requests interleaved and compared with their references. After each round: the daemon is up,
# nothing is in flight, and its VmRSS is printed; the last round's RSS must not have grown past the
# first's by more than 16 MiB (no leak trend). About 3 minutes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$HERE/../integration/lib.sh"
STORM=${STORM:-$BUILD/stress/storm}
ROUNDS=${STORM_ROUNDS:-3}
N=${STORM_REQUESTS:-40000}
export OPENBLAS_NUM_THREADS=1
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

daemon_start s
pid=${DPID[s]}
"$STORM" --port "${DPORT[s]}" --requests 500 --seed 99 --quiet >/dev/null 2>&1 || true
sleep 1
rest=$(rss "$pid")
echo "# resting VmRSS $rest KiB"
first=""
for r in $(seq 1 "$ROUNDS"); do
    rc=0
    "$STORM" --port "${DPORT[s]}" --requests "$N" --seconds 240 --seed "$r" --pid "$pid" --quiet >"$TMP/r$r.out" 2>&1 || rc=$?
    summary=$(grep '^storm-summary' "$TMP/r$r.out" || echo "no summary")
    sleep 2
    after=$(rss "$pid")
    [ -z "$first" ] && first=$after
    echo "# round $r: $summary; VmRSS 2 s after: $after KiB"
    [ "$rc" -eq 0 ] && ok "round $r: $(sed -nE 's/.* requests=([0-9]+) seconds=([0-9.]+).*/\1 requests in \2 s/p' <<<"$summary"), all as expected, valid answers equal the references" \
        || { not_ok "round $r: storm exit $rc"; grep -E ' [1-9][0-9]*  ' "$TMP/r$r.out" | head -5 | sed 's/^/#   /'; }
    kill -0 "$pid" 2>/dev/null && ok "round $r: the daemon is up" || { not_ok "round $r: the daemon died"; break; }
    [ "$(metric s dnnfuser_queue_depth)" -eq 0 ] && ok "round $r: queue empty" || not_ok "round $r: queue not empty"
done
[ "$after" -le $((first + 16384)) ] && ok "no RSS growth across rounds (resting $rest, after round 1 $first, after round $ROUNDS $after KiB)" \
    || not_ok "RSS grew: after round 1 $first KiB, after round $ROUNDS $after KiB"
daemon_signal s TERM
daemon_wait s 30
[ "$rc" -eq 0 ] && ok "exit 0 on SIGTERM" || not_ok "exit status $rc"
finish stress-storm
