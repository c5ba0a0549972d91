#!/usr/bin/env bash
# test_storm.sh - the short hostile-input storm (issue #6): 10,000 malformed and adversarial requests
# from tests/stress/storm.c against a live dnnfuserd on 127.0.0.1, with valid requests interleaved
# (every 20th; their answers must equal the references fetched before the storm). Checks: every answer
# has the status its kind must get (storm's table), no hangs, the daemon stays up and healthy, nothing
# is left in flight or queued, its RSS after the storm is back near the resting level (VmRSS from
# /proc/PID/status; the figures are printed), it exits 0 on SIGTERM, and it logged no errors.
# Usage: BUILD=build bash tests/integration/test_storm.sh   (about 20-30 s; STORM_REQUESTS to change)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
need_storm
N=${STORM_REQUESTS:-10000}
export OPENBLAS_NUM_THREADS=1

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

daemon_start s --conn-timeout 10
pid=${DPID[s]}

# warm-up: the first few hundred requests of the same mix (allocator arenas, caches), then the resting level
"$STORM" --port "${DPORT[s]}" --requests 500 --seed 7 --quiet >"$TMP/warm.out" 2>&1 || true
sleep 1
rest=$(rss "$pid")

rc=0
"$STORM" --port "${DPORT[s]}" --requests "$N" --seconds 90 --pid "$pid" --quiet >"$TMP/storm.out" 2>&1 || rc=$?
sed 's/^/# /' "$TMP/storm.out"
summary=$(grep '^storm-summary' "$TMP/storm.out" || true)
sent=$(sed -nE 's/.* requests=([0-9]+).*/\1/p' <<<"$summary")
[ "$rc" -eq 0 ] && ok "storm: ${sent:-?} requests, every answer as its kind expects, no hang" \
    || not_ok "storm exit $rc: $(grep -vE '^(kind|storm-summary|reference)| 0  $' "$TMP/storm.out" | head -5 | tr '\n' ';')"
[ "${sent:-0}" -ge "$N" ] && ok "at least $N requests sent" || not_ok "only ${sent:-0} of $N requests sent"
grep -q ' valid_bad=0 ' <<<"$summary" && ok "valid requests interleaved with the storm: $(sed -nE 's/.* valid=([0-9]+).*/\1/p' <<<"$summary") answered like the references" \
    || not_ok "valid requests during the storm: $summary"

kill -0 "$pid" 2>/dev/null && ok "the daemon is still running" || not_ok "the daemon died"
req s GET /healthz
[ "$code" = 200 ] && ok "/healthz 200 after the storm" || not_ok "/healthz $code after the storm"
req s GET /readyz
[ "$code" = 200 ] && ok "/readyz 200 after the storm" || not_ok "/readyz $code after the storm"
for _ in $(seq 1 50); do
    [ "$(metric s dnnfuser_inflight)" -le 1 ] && [ "$(metric s dnnfuser_queue_depth)" -eq 0 ] && break
    sleep 0.1
done
# this /metrics request is itself in flight
[ "$(metric s dnnfuser_inflight)" -le 1 ] && [ "$(metric s dnnfuser_queue_depth)" -eq 0 ] \
    && ok "nothing left in flight or queued" || not_ok "inflight $(metric s dnnfuser_inflight), queued $(metric s dnnfuser_queue_depth)"

sleep 2
after=$(rss "$pid")
peak=$(sed -nE 's/.* peak_rss_kib=([0-9]+).*/\1/p' <<<"$summary")
echo "# RSS (VmRSS, KiB): resting $rest, peak during the storm ${peak:-?}, 2 s after $after"
# near = within 25 % or 16 MiB of the resting level (the peak holds 25 MB request bodies)
limit=$((rest + rest / 4 > rest + 16384 ? rest + rest / 4 : rest + 16384))
if [ "${SANITIZED:-0}" = 1 ]; then
    # ASan keeps freed memory in quarantine (256 MiB) on purpose: RSS says nothing there; LSan checks leaks
    echo "# RSS not checked under the sanitizers"
else
    [ "$after" -le "$limit" ] && ok "RSS back near resting after the storm ($rest -> $after KiB, peak ${peak:-?})" \
        || not_ok "RSS after the storm $after KiB, resting $rest KiB (limit $limit)"
fi

daemon_signal s TERM
daemon_wait s 30
[ "$rc" -eq 0 ] && ok "the daemon exits 0 on SIGTERM after the storm" || not_ok "exit status $rc after SIGTERM"
# 4xx are logged at info, MHD's own refusals of malformed HTTP at warn ("mhd"); nothing else may warn
if grep -E ' (error|warn) ' "${DLOG[s]}" | grep -Ev ' warn mhd msg=' >"$TMP/warns"; then
    not_ok "unexpected warnings or errors in the log: $(head -3 "$TMP/warns")"
else
    ok "no errors logged ($(grep -c ' warn mhd ' "${DLOG[s]}" || true) libmicrohttpd refusals of malformed HTTP)"
fi
finish storm
