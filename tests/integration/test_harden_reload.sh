#!/usr/bin/env bash
# test_harden_reload.sh - SIGHUP while the config file is being rewritten (issue 17 row 9): a file
# cut mid-value, an empty file and a file with a bad value keep the previous settings (logged at warn
# as reload_failed ... kept=previous); a file with only a comment is the explicit way back to the
# defaults (applied, logged at warn as config_empty); a whole new file is applied. The live values are
# read back from /v1/info.
# Usage: BUILD=build bash tests/integration/test_harden_reload.sh   (about 5 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
export OPENBLAS_NUM_THREADS=1

conf=$TMP/d.conf
printf 'queue-depth = 7\ndeadline-ms = 20000\nmax-layers = 100\n' >"$conf"
daemon_start d --config "$conf"

# hup: SIGHUP, then wait until the daemon logged the outcome of that reload (the n-th one)
nhup=0
hup() {
    nhup=$((nhup + 1))
    daemon_signal d HUP
    local i
    for i in $(seq 1 100); do
        [ "$(grep -cE ' (info reload applied=|warn reload_failed )' "${DLOG[d]}")" -ge "$nhup" ] && return 0
        sleep 0.05
    done
    echo "# reload $nhup not logged"
}
limits() {
    req d GET /v1/info
    grep -oE '"(queue_depth|deadline_ms|max_layers)":[0-9]+' "$TMP/body" | sort | tr '\n' ' '
}
want='"deadline_ms":20000 "max_layers":100 "queue_depth":7 '
got=$(limits)
[ "$got" = "$want" ] && ok "the file's settings at start: $got" || not_ok "at start: $got"

printf 'queue-depth = 7\ndeadline-ms = 30' >"$conf" # cut mid-value (30000)
hup
got=$(limits)
[ "$got" = "$want" ] && ok "a file cut mid-value keeps the previous settings" || not_ok "cut mid-value: $got"
check "... logged at warn: reload_failed, no newline, kept=previous" \
    grep -qE 'warn reload_failed error=".*no newline.*" kept=previous' "${DLOG[d]}"

: >"$conf" # truncated by > before being written again
hup
got=$(limits)
[ "$got" = "$want" ] && ok "an empty file keeps the previous settings (not all defaults)" || not_ok "empty file: $got"
check "... logged at warn: reload_failed, empty, kept=previous" \
    grep -qE 'warn reload_failed error=".*is empty.*" kept=previous' "${DLOG[d]}"

printf 'queue-depth = 7\nworkers = 0\ndeadline-ms = 5000\n' >"$conf"
hup
got=$(limits)
[ "$got" = "$want" ] && ok "a file with a bad value keeps the previous settings (nothing half applied)" || not_ok "bad value: $got"

printf 'queue-depth = 9\ndeadline-ms = 15000\nmax-layers = 100\n' >"$conf"
hup
got=$(limits)
[ "$got" = '"deadline_ms":15000 "max_layers":100 "queue_depth":9 ' ] && ok "a whole new file is applied: $got" \
    || not_ok "new file: $got"

printf '# back to the defaults\n' >"$conf"
hup
got=$(limits)
[ "$got" = '"deadline_ms":10000 "max_layers":4096 "queue_depth":256 ' ] && ok "a comment-only file returns to the defaults: $got" \
    || not_ok "comment-only file: $got"
check "... and says so at warn (config_empty)" grep -qE 'warn config_empty config=.* settings=0' "${DLOG[d]}"

req d GET /healthz
[ "$code" = 200 ] && ok "still serving after $nhup reloads" || not_ok "/healthz $code"
daemon_signal d TERM
daemon_wait d 20
[ "$rc" = 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit $rc"
finish test_harden_reload
