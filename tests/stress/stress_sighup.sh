#!/usr/bin/env bash
# stress_sighup.sh - SIGHUP in a loop under load (make stress): while 6,000 valid requests (exact map,
# evaluate, catalog GET, transformer map; compared with their references) and then a 6,000-request
# hostile storm run, the daemon gets a SIGHUP every 100 ms (settings re-read, weights reloaded from a
# --weights file and swapped between decode steps). Zero failed requests; many reloads applied; the
# daemon exits 0.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$HERE/../integration/lib.sh"
need_storm
export OPENBLAS_NUM_THREADS=1

cp "$HERE/../../weights/dnnfuser.weights" "$TMP/w.weights"
daemon_start r --weights "$TMP/w.weights"
hup_loop() {
    while kill -0 "${DPID[r]}" 2>/dev/null; do
        kill -HUP "${DPID[r]}" 2>/dev/null || true
        sleep 0.1
    done
}
hup_loop &
BGPIDS+=($!)
rc1=0
"$STORM" --port "${DPORT[r]}" --valid-every 1 --requests 6000 --seconds 240 >"$TMP/valid.out" 2>&1 || rc1=$?
rc2=0
"$STORM" --port "${DPORT[r]}" --requests 6000 --seconds 240 --seed 5 >"$TMP/storm.out" 2>&1 || rc2=$?
kill "${BGPIDS[-1]}" 2>/dev/null || true
grep '^storm-summary' "$TMP/valid.out" "$TMP/storm.out" | sed 's/^/# /'
[ "$rc1" -eq 0 ] && ok "6,000 valid requests under SIGHUP every 100 ms: 0 failed" \
    || not_ok "valid requests under SIGHUP: $(grep -E '^valid.* [1-9][0-9]*  ' "$TMP/valid.out" | head -3)"
[ "$rc2" -eq 0 ] && ok "6,000-request storm under SIGHUP every 100 ms: every answer as expected" \
    || not_ok "storm under SIGHUP: exit $rc2"
n=$(grep -c ' info reload applied=' "${DLOG[r]}" || true)
w=$(grep -c ' weights_reload ok=yes' "${DLOG[r]}" || true)
[ "$n" -ge 50 ] && [ "$w" -ge 10 ] && ok "$n reloads, $w weight swaps during the run" || not_ok "only $n reloads, $w swaps"
req r GET /v1/info
[ "$code" = 200 ] && has '"loaded":true' && ok "weights loaded after the loop ($(grep -oE '"generation":[0-9]+' "$TMP/body"))" \
    || not_ok "/v1/info after the loop"
daemon_signal r TERM
daemon_wait r 30
[ "$rc" -eq 0 ] && ok "exit 0 on SIGTERM" || not_ok "exit status $rc"
if grep -E ' (error|warn) ' "${DLOG[r]}" | grep -Ev ' warn mhd msg=' >"$TMP/warns"; then
    not_ok "errors logged: $(head -3 "$TMP/warns")"
else
    ok "no errors logged"
fi
finish stress-sighup
