#!/usr/bin/env bash
# stress_conns.sh - 1,000 concurrent open connections (make stress): storm --hold opens 1,000
# connections that each send all but the last bytes of a valid evaluate request and stay open for
# 10 s; meanwhile valid requests on other connections must still be answered correctly; then all 1,000
# are completed and must each get the reference answer. The daemon's VmRSS with the 1,000 open is
# printed (bounded: the MHD per-connection pool is --conn-memory, 64 KiB by default, used only as far
# as needed) and must stay under 64 MiB + 64 KiB x 1,000.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$HERE/../integration/lib.sh"
need_storm
N=${HOLD_CONNECTIONS:-1000}
export OPENBLAS_NUM_THREADS=1

# the held connections are one client (127.0.0.1) whose partial bodies stall for 10 s: lift the per-address
# cap, the header timeout and the minimum body rate (connguard.h), which exist to stop exactly that
daemon_start h --max-connections $((N + 64)) --per-ip-connections 0 --header-timeout 0 --min-body-rate 0
rc=0
"$STORM" --port "${DPORT[h]}" --hold "$N" --hold-seconds 10 --requests 100 --pid "${DPID[h]}" >"$TMP/hold.out" 2>&1 || rc=$?
grep -E '^(hold|storm-summary)' "$TMP/hold.out" | sed 's/^/# /'
line=$(grep '^hold: [0-9]* connections open' "$TMP/hold.out" || true)
open=$(sed -nE 's/^hold: ([0-9]+) connections open, ([0-9]+) with.*/\2/p' <<<"$line")
held_rss=$(sed -nE 's/.*daemon VmRSS ([0-9]+) KiB.*/\1/p' <<<"$line")
[ "${open:-0}" -eq "$N" ] && ok "$N connections open at once, each with a partial request" || not_ok "only ${open:-0} of $N connections held"
[ "${held_rss:-999999999}" -le $((65536 + 64 * N)) ] && ok "daemon VmRSS with $N open connections: ${held_rss} KiB (bounded)" \
    || not_ok "VmRSS with $N open: ${held_rss:-?} KiB"
grep -q ' valid_bad=0 ' "$TMP/hold.out" && grep -qE '^valid_map_exact +100 +100 +0' "$TMP/hold.out" \
    && ok "100 valid requests answered correctly while the $N were held" || not_ok "valid requests while held"
[ "$rc" -eq 0 ] && grep -qE "completed the $N held requests .* $N answered 200, 0 unexpected" "$TMP/hold.out" \
    && ok "all $N held requests completed with the reference answer" || not_ok "held requests: $(grep 'completed' "$TMP/hold.out")"
req h GET /healthz
[ "$code" = 200 ] && ok "healthy afterwards" || not_ok "/healthz $code"
daemon_signal h TERM
daemon_wait h 30
[ "$rc" -eq 0 ] && ok "exit 0 on SIGTERM" || not_ok "exit status $rc"
finish stress-conns
