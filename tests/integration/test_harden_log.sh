#!/usr/bin/env bash
# test_harden_log.sh - logging never blocks a request or the signal thread (issue 17 row 3). The
# daemon's stderr is a FIFO that this script reads only up to the "listening on" line and then never
# again (a stuck log collector): 4,000 requests answered 404 log an info line each, far more than the
# pipe (64 KiB) and the log queue (256 KiB) hold. Checks: those requests are all answered, /healthz
# answers at once, dnnfuser_log_dropped_total counts the lost lines, and SIGTERM ends the daemon
# promptly with status 0 although its last lines cannot be written. Prints the figures.
# Usage: BUILD=build bash tests/integration/test_harden_log.sh   (about 5 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
export OPENBLAS_NUM_THREADS=1
now_ms() { date +%s%3N; }

mkfifo "$TMP/stderr.fifo"
# a lone command so that $! is the daemon (PLATFORM.md pitfall 12); its open of the FIFO waits for ours
"${DAEMON_PREFIX[@]}" "$DAEMON" --bind 127.0.0.1 --port 0 --log-level info 2>"$TMP/stderr.fifo" &
DPID[s]=$!
exec 3<"$TMP/stderr.fifo"
port=""
while IFS= read -r -t 30 -u 3 line; do
    port=$(sed -nE 's/.* listening on 127\.0\.0\.1:([0-9]+).*/\1/p' <<<"$line")
    [ -n "$port" ] && break
done
[ -n "$port" ] || { echo "# the daemon did not start"; exit 1; }
DPORT[s]=$port
ok "daemon listening on $port; its stderr is now a pipe nobody reads"
# wait for readiness (weights loaded) before the flood, so the flood is the only load
until=$(($(now_ms) + 15000))
while [ "$(now_ms)" -lt "$until" ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz" || true)" = 200 ] && break
    sleep 0.05
done

t0=$(now_ms)
n404=$(timeout 20 curl -s -o /dev/null --max-time 5 -w '%{http_code}\n' "http://127.0.0.1:$port/nope[1-4000]" | grep -c '^404$' || true)
t1=$(now_ms)
[ "$n404" -eq 4000 ] && ok "4,000 requests logged at info all answered 404 in $((t1 - t0)) ms" \
    || not_ok "only $n404 of 4,000 requests answered (logging blocked them?)"

t0=$(now_ms)
hz=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/healthz" || true)
t1=$(now_ms)
echo "# /healthz with the log stuck: status $hz in $((t1 - t0)) ms"
[ "$hz" = 200 ] && [ $((t1 - t0)) -lt 2000 ] && ok "/healthz answers at once with the log stuck ($((t1 - t0)) ms)" \
    || not_ok "/healthz $hz after $((t1 - t0)) ms with the log stuck"

dropped=$(metric s dnnfuser_log_dropped_total 2>/dev/null || echo 0)
echo "# dnnfuser_log_dropped_total $dropped"
[ "${dropped%.*}" -gt 100 ] && ok "dropped log lines counted: dnnfuser_log_dropped_total = $dropped" \
    || not_ok "dnnfuser_log_dropped_total = $dropped (expected > 100)"

t0=$(now_ms)
daemon_signal s TERM
daemon_wait s 10
t1=$(now_ms)
echo "# SIGTERM with the log stuck: exit $rc after $((t1 - t0)) ms"
[ "$rc" = 0 ] && [ $((t1 - t0)) -lt 5000 ] && ok "SIGTERM exits 0 promptly with the log stuck ($((t1 - t0)) ms)" \
    || not_ok "SIGTERM with the log stuck: exit $rc after $((t1 - t0)) ms"
exec 3<&-
finish test_harden_log
