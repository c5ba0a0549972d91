#!/usr/bin/env bash
# test_ops.sh - the operations contract of the daemon (issue 11 item 7): a client's X-Request-Id is
# echoed in the reply header, the problem body and the access log, an unsafe one (space, quote,
# too long) is replaced by a generated "<instance>-<n>" id unique across instances; access-log values
# are quoted logfmt-style, so a '"' or a space in a path cannot fake a field; /livez; the process_*
# metrics are exported and the whole /metrics text passes `promtool check metrics` (package
# prometheus; without it a format check here); `--print-config` output reads back in unchanged, also
# with a '#', a quote or a backslash in a value.
# Usage: BUILD=build bash tests/integration/test_ops.sh   (about 3 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
export OPENBLAS_NUM_THREADS=1

daemon_start a --log-level info
daemon_start b --log-level info
# getid NAME PATH [CURL ARGS...]: a GET with extra curl arguments (req's 4th argument is a body)
getid() {
    local name=$1 path=$2
    shift 2
    code=$(curl -sS --max-time 10 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@" \
        "http://127.0.0.1:${DPORT[$name]}$path" 2>"$TMP/curl.err") || code="curl-failed-$?"
}

# --- X-Request-Id ------------------------------------------------------------------------------
getid a /nope -H 'X-Request-Id: trace-42.abc_DEF:9'
[ "$(header X-Request-Id)" = "trace-42.abc_DEF:9" ] && has '"request_id":"trace-42.abc_DEF:9"' \
    && ok "a client's X-Request-Id is echoed (header and problem)" \
    || not_ok "client id not echoed: header '$(header X-Request-Id)'"
for bad in 'two words' 'a"b' "$(printf 'x%.0s' $(seq 1 65))"; do
    getid a /nope -H "X-Request-Id: $bad"
    id=$(header X-Request-Id)
    if [[ "$id" =~ ^[0-9a-f]{16}-[0-9]+$ ]]; then ok "an unsafe X-Request-Id (${bad:0:12}...) is replaced by a made one ($id)"
    else not_ok "unsafe X-Request-Id '${bad:0:12}' -> '$id'"; fi
done
req a GET /healthz
ida=$(header X-Request-Id)
req b GET /healthz
idb=$(header X-Request-Id)
[[ "$ida" =~ ^[0-9a-f]{16}-[0-9]+$ ]] && [ "${ida%-*}" != "${idb%-*}" ] \
    && ok "made ids differ across instances ($ida, $idb)" || not_ok "ids of two instances: $ida $idb"

# --- logfmt quoting ----------------------------------------------------------------------------
# MHD decodes %22 and %20 in the path: the daemon sees /x" status=200 y=
getid a '/x%22%20status=200%20y=' -H 'X-Request-Id: quote-test'
[ "$code" = 404 ] || not_ok "the forged path: $code"
for _ in $(seq 1 40); do grep -q 'id=quote-test' "${DLOG[a]}" && break; sleep 0.05; done
line=$(grep 'id=quote-test' "${DLOG[a]}" | head -1)
# drop the quoted value (with its escapes); what is left must have exactly one status=, the real one
rest=$(sed -E 's/"([^"\\]|\\.)*"/Q/g' <<<"$line")
if grep -qF 'path="/x\" status=200 y="' <<<"$line" && [ "$(grep -o 'status=[0-9]*' <<<"$rest")" = "status=404" ]; then
    ok "a quote and spaces in a path are quoted in the log: one status= field ($rest)"
else not_ok "log line: $line"; fi

# --- /livez ------------------------------------------------------------------------------------
req a GET /livez
JT=$BUILD/tools/jsontool
[ "$code" = 200 ] && has '"status":"live"' && { [ ! -x "$JT" ] || "$JT" schema "$HERE/../../api/openapi.yaml" Health "$TMP/body"; } \
    && ok "/livez 200, a Health object" || not_ok "/livez $code"
req a HEAD /livez
[ "$code" = 200 ] && ok "HEAD /livez 200" || not_ok "HEAD /livez $code"

# --- process_* metrics and the exposition format ------------------------------------------------
req a GET /metrics
cp "$TMP/body" "$TMP/metrics.txt"
pid=${DPID[a]}
for m in process_cpu_seconds_total process_resident_memory_bytes process_virtual_memory_bytes process_open_fds \
    process_max_fds process_start_time_seconds; do
    has "^$m [0-9.e+]+$" "$TMP/metrics.txt" && ok "/metrics has $m" || not_ok "/metrics lacks $m"
done
rss=$(awk '$1 == "process_resident_memory_bytes" {print $2}' "$TMP/metrics.txt")
want=$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status")
# the same order of magnitude as the kernel's own figure (they are read moments apart)
awk -v a="$rss" -v b="$want" 'BEGIN { exit !(a > b / 2 && a < b * 2) }' \
    && ok "process_resident_memory_bytes $rss matches /proc/$pid/status VmRSS $want" || not_ok "rss $rss vs VmRSS $want"
start=$(awk '$1 == "process_start_time_seconds" {print $2}' "$TMP/metrics.txt")
now=$(date +%s)
awk -v s="$start" -v n="$now" 'BEGIN { exit !(s > n - 120 && s <= n + 1) }' \
    && ok "process_start_time_seconds $start is the daemon's start (now $now)" || not_ok "start time $start, now $now"
fds=$(awk '$1 == "process_open_fds" {print $2}' "$TMP/metrics.txt")
# (the scrape's own connection was open while it was counted)
[ "$fds" -ge 3 ] && [ "$fds" -le $(($(ls "/proc/$pid/fd" | wc -l) + 4)) ] && ok "process_open_fds $fds" || not_ok "open fds $fds"
# the text format 0.0.4 by hand (always; promtool below when installed): every sample's family
# declared by # HELP then # TYPE before it, names and labels well formed, values numbers
if awk '
    /^# HELP / { help[$3] = 1; next }
    /^# TYPE / { if (!help[$3]) { print "TYPE before HELP: " $3; bad = 1 } type[$3] = $4; next }
    /^#/ { next }
    {
        if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? ([-+]?[0-9.]+([eE][-+]?[0-9]+)?|\+Inf|NaN)$/) { print "bad line: " $0; bad = 1 }
        n = $1; sub(/\{.*/, "", n); f = n; sub(/_(bucket|sum|count)$/, "", f)
        if (!(n in type) && !(f in type)) { print "no TYPE for " n; bad = 1 }
        samples++
    }
    END { if (samples < 50) { print "only " samples " samples"; bad = 1 } exit bad }' "$TMP/metrics.txt" >"$TMP/fmt.out"; then
    ok "the /metrics text is well formed (format check)"
else not_ok "the /metrics text format: $(head -3 "$TMP/fmt.out" | tr '\n' ' ')"; fi
if command -v promtool >/dev/null; then
    if out=$(promtool check metrics <"$TMP/metrics.txt" 2>&1); then ok "promtool check metrics: clean"
    else not_ok "promtool check metrics: $(head -5 <<<"$out" | tr '\n' ' ')"; fi
else
    echo "# promtool not installed (Debian package prometheus): skipped"
fi

# --- --print-config reads back -----------------------------------------------------------------
"$DAEMON" --weights '/srv/a#1 "q" \x.bin' --bind 127.0.0.1 --port 8123 --print-config >"$TMP/p1.conf"
"$DAEMON" --config "$TMP/p1.conf" --print-config >"$TMP/p2.conf"
grep -v '^# config = \|^config = ' "$TMP/p1.conf" >"$TMP/p1.cmp"
grep -v '^# config = \|^config = ' "$TMP/p2.conf" >"$TMP/p2.cmp"
if grep -qF 'weights = "/srv/a#1 \"q\" \\x.bin"' "$TMP/p1.conf" && cmp -s "$TMP/p1.cmp" "$TMP/p2.cmp"; then
    ok "--print-config reads back unchanged, a '#', quotes and a backslash in a value included"
else not_ok "--print-config round trip: $(diff "$TMP/p1.cmp" "$TMP/p2.cmp" | head -4 | tr '\n' ' ')"; fi

daemon_signal a TERM
daemon_signal b TERM
daemon_wait a 20
daemon_wait b 20
finish ops
