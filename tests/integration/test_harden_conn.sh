#!/usr/bin/env bash
# test_harden_conn.sh - connection limits that protect the honest (issue 17 rows 10 and 11), short
# forms (the 1,024-connection slowloris is tests/stress/stress_slowloris.sh):
#   1. slowloris on the headers: 300 connections from 127.0.0.1 trickle headers at 1 byte/s against
#      --max-connections 200 --per-ip-connections 100 --header-timeout 2; /healthz asked every 250 ms
#      from 127.0.0.2 must always answer; the 200 over the cap are refused at accept, the 100 are cut
#      with 408 after about 2 s; both counted in /metrics and logged at warn
#   2. slowloris on the body: 20 POSTs whose bodies trickle at 1 byte/s are cut (body_too_slow)
#   3. --conn-timeout 0: 32 idle kept-alive connections fill --max-connections 32, then 40 clients
#      connect and give up; the idle connections are closed near the limit, so nothing stays in
#      CLOSE_WAIT and a new client is answered
# Usage: BUILD=build bash tests/integration/test_harden_conn.sh   (about 20 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
need_storm
export OPENBLAS_NUM_THREADS=1
now_ms() { date +%s%3N; }
field() { sed -nE "s/.* $1=([0-9.]+).*/\1/p" <<<"$2"; }

# --- 1 and 2: slowloris -------------------------------------------------------------------------
daemon_start s --max-connections 200 --per-ip-connections 100 --header-timeout 2 --min-body-rate 1KiB
rc=0
"$STORM" --port "${DPORT[s]}" --slowloris 300 --slow-seconds 5 >"$TMP/slow.out" 2>&1 || rc=$?
sed 's/^/# /' "$TMP/slow.out"
sum=$(grep '^slowloris-summary' "$TMP/slow.out" || true)
[ "$rc" = 0 ] && [ "$(field probe_failed "$sum")" = 0 ] && [ "$(field probes "$sum")" -ge 10 ] \
    && ok "/healthz from another address answered throughout a 300-connection slowloris (max $(field healthz_max_ms "$sum") ms)" \
    || not_ok "/healthz during the slowloris: $sum"
[ "$(field cut "$sum")" = 300 ] && ok "all 300 slow connections refused or cut within 5 s" || not_ok "cut: $sum"
refused=$(metric s 'dnnfuser_connections_refused_total{reason="per_ip"}')
cut_h=$(metric s 'dnnfuser_connections_cut_total{reason="header_timeout"}')
[ "$refused" -ge 190 ] && [ "$cut_h" -ge 90 ] && ok "counted: $refused refused (per_ip), $cut_h cut (header_timeout)" \
    || not_ok "metrics: refused $refused, header_timeout $cut_h"
check "the per-address cap is logged at warn" grep -qE 'warn conn_refused reason=per_ip_limit count=[0-9]+ client=127\.0\.0\.1 limit=100' "${DLOG[s]}"
check "the header timeout is logged at warn" grep -qE 'warn conn_cut reason=header_timeout count=[0-9]+ client=127\.0\.0\.1' "${DLOG[s]}"

rc=0
"$STORM" --port "${DPORT[s]}" --slowloris 20 --slow-phase body --slow-seconds 4 >"$TMP/body.out" 2>&1 || rc=$?
sed 's/^/# /' "$TMP/body.out"
sum=$(grep '^slowloris-summary' "$TMP/body.out" || true)
cut_b=$(metric s 'dnnfuser_connections_cut_total{reason="body_too_slow"}')
[ "$(field cut "$sum")" = 20 ] && [ "$cut_b" -ge 20 ] && ok "20 bodies at 1 byte/s cut (body_too_slow: $cut_b)" \
    || not_ok "slow bodies: $sum, body_too_slow $cut_b"
req s GET /healthz
[ "$code" = 200 ] && ok "healthy afterwards" || not_ok "/healthz $code"
req s POST /v1/evaluate '{"workload":"resnet18","hardware":"edge","budget":"1MiB","batch":1,"groups":[]}'
[ "${code:0:1}" = 4 ] && ok "requests sent at a normal pace are unaffected (evaluate answered $code)" || not_ok "evaluate $code"

# --- 3: --conn-timeout 0 at the connection limit -------------------------------------------------
daemon_start z --conn-timeout 0 --max-connections 32 --per-ip-connections 0
port=${DPORT[z]}
fds=()
for i in $(seq 1 32); do # idle kept-alive connections, each after one request
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd"
    IFS= read -r -t 5 -u "$fd" status || true
    fds+=("$fd")
done
for i in $(seq 1 40); do # clients that connect (the kernel completes it from the backlog) and give up
    timeout 0.2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&3; sleep 1" 2>/dev/null || true
done
closewait() { ss -tanH state close-wait "( sport = :$port )" 2>/dev/null | grep -c . || true; }
t0=$(now_ms)
cw=$(closewait)
for _ in $(seq 1 60); do
    cw=$(closewait)
    [ "$cw" = 0 ] && break
    sleep 0.1
done
t1=$(now_ms)
echo "# CLOSE_WAIT on the daemon's port: $cw after $((t1 - t0)) ms"
if command -v ss >/dev/null; then
    [ "$cw" = 0 ] && ok "--conn-timeout 0: nothing left in CLOSE_WAIT" || not_ok "--conn-timeout 0: $cw sockets in CLOSE_WAIT"
fi
hz=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$port/healthz" || true)
[ "$hz" = 200 ] && ok "--conn-timeout 0 at the limit: a new client is answered" || not_ok "new client at the limit: $hz"
idle=$(metric z 'dnnfuser_connections_cut_total{reason="idle_at_limit"}')
[ "$idle" -ge 1 ] && ok "idle connections closed near the limit: $idle" || not_ok "idle_at_limit $idle"
for fd in "${fds[@]}"; do exec {fd}<&-; done

for n in s z; do
    daemon_signal "$n" TERM
    daemon_wait "$n" 20
    [ "$rc" = 0 ] && ok "daemon $n: exit 0 on SIGTERM" || not_ok "daemon $n: exit $rc"
done
finish test_harden_conn
