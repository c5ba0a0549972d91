#!/usr/bin/env bash
# stress_queue.sh - queue full under a flood (make stress): a daemon with 1 worker and --queue-depth 4
# gets 300 slow requests (a genetic search on resnet50) 100 at a time; every answer must be 200 or
# 503 queue-full with Retry-After, never a hang or a dropped connection; some of each must occur; the
# daemon is healthy and its queue empty afterwards.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$HERE/../integration/lib.sh"
need_storm
export OPENBLAS_NUM_THREADS=1

daemon_start q --workers 1 --queue-depth 4
rc=0
"$STORM" --port "${DPORT[q]}" --only queue_flood --requests 300 --concurrency 100 --timeout 60 --pid "${DPID[q]}" \
    >"$TMP/q.out" 2>&1 || rc=$?
summary=$(grep '^storm-summary' "$TMP/q.out" || true)
echo "# $summary"
n503=$(sed -nE 's/.* status503=([0-9]+).*/\1/p' <<<"$summary")
[ "$rc" -eq 0 ] && ok "300 flood requests: every answer 200 or 503 + Retry-After, no hang" \
    || not_ok "flood: exit $rc: $(grep '^queue_flood' "$TMP/q.out")"
[ "${n503:-0}" -ge 1 ] && [ "${n503:-0}" -lt 300 ] && ok "both outcomes seen: $((300 - n503)) x 200, $n503 x 503" \
    || not_ok "503 count ${n503:-?} of 300"
req q GET /readyz
[ "$code" = 200 ] && ok "ready again once the flood is over" || not_ok "/readyz $code"
[ "$(metric q dnnfuser_queue_depth)" -eq 0 ] && ok "queue empty" || not_ok "queue not empty"
daemon_signal q TERM
daemon_wait q 30
[ "$rc" -eq 0 ] && ok "exit 0 on SIGTERM" || not_ok "exit status $rc"
finish stress-queue
