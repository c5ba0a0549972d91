#!/usr/bin/env bash
# lib.sh - shared helpers for the daemon's integration tests (sourced, not run). Needs bash, curl,
# coreutils, grep, sed, awk. Provides:
#   daemon_start NAME [ARGS...]   start $BUILD/dnnfuserd on 127.0.0.1 with --port 0 (plus ARGS), wait
#                                 for its "listening on 127.0.0.1:PORT" log line and for /healthz;
#                                 sets DPID[NAME], DPORT[NAME], DLOG[NAME]
#   daemon_signal NAME SIG        send a signal to that daemon (by its pid, never by name)
#   daemon_wait NAME [SECS]       wait for it to exit; its exit status in $rc (124 on timeout)
#   daemon_stop_ok NAME...        SIGTERM each, wait up to 20 s, ok/not_ok "daemon NAME exits 0 on SIGTERM"
#   req NAME METHOD PATH [BODY|@FILE] [CURL ARGS...]
#                                 one request; $code, $TMP/body, $TMP/headers (the status line and headers)
#   ok DESC / not_ok DESC / check DESC CMD...   TAP-ish lines "ok - ..." / "not ok - ..."
#   has REGEX [FILE]              grep -Eq in $TMP/body (or FILE)
#   header NAME                   a response header's value from $TMP/headers
#   need_storm                    sets STORM to the load generator (tests/stress/storm.c: the plain
#                                 build's under the sanitizer pass) or stops the script naming the target
#   finish SUITE                  prints "SUITE: N passed, M failed"; exit status 1 when M > 0
# DAEMON_PREFIX (e.g. "valgrind --error-exitcode=99") runs the daemon under a tool; its pid is still
# the daemon's. Everything started here is killed by pid in the EXIT trap, and $TMP is removed.
set -euo pipefail

BUILD=${BUILD:-build}
DAEMON=${DAEMON:-$BUILD/dnnfuserd}
# DAEMON_PREFIX runs the daemon under a tool, e.g. "valgrind --leak-check=full --error-exitcode=99"
read -r -a DAEMON_PREFIX <<<"${DAEMON_PREFIX:-}"
if [ ! -x "$DAEMON" ]; then
    echo "daemon: $DAEMON not found (run make first)" >&2
    exit 1
fi
need_storm() {
    STORM=${STORM:-$BUILD/stress/storm}
    # the sanitizer build's daemon is exercised too; the load generator itself is the plain one
    [ -x "$STORM" ] || STORM=build/stress/storm
    if [ ! -x "$STORM" ]; then
        echo "storm: $STORM not found (make $BUILD/stress/storm)" >&2
        exit 1
    fi
}
TMP=$(mktemp -d)
declare -A DPID=() DPORT=() DLOG=()
BGPIDS=()
pass=0
fail=0

lib_cleanup() {
    local name pid
    for pid in "${BGPIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for name in "${!DPID[@]}"; do
        pid=${DPID[$name]}
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$TMP"
}
trap lib_cleanup EXIT

ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() {
    echo "not ok - $1"
    fail=$((fail + 1))
    if [ -s "$TMP/body" ]; then head -c 600 "$TMP/body" | sed 's/^/#   body: /'; echo; fi
}
# check DESC CMD...: ok when CMD succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
has() { grep -Eq -- "$1" "${2:-$TMP/body}"; }
header() { grep -i "^$1:" "$TMP/headers" | tail -1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'; }

daemon_start() {
    local name=$1
    shift
    local log="$TMP/$name.log"
    DLOG[$name]=$log
    : >"$log" # exists before the first read below (the child opens it for itself after the fork)
    # a lone command so that $! is the daemon itself (PLATFORM.md pitfall 12)
    "${DAEMON_PREFIX[@]}" "$DAEMON" --bind 127.0.0.1 --port 0 "$@" 2>"$log" &
    DPID[$name]=$!
    local port="" i
    for i in $(seq 1 600); do
        port=$(sed -nE 's/.* listening on 127\.0\.0\.1:([0-9]+).*/\1/p' "$log" 2>/dev/null | head -1 || true)
        [ -n "$port" ] && break
        kill -0 "${DPID[$name]}" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "# daemon $name did not start:" >&2
        sed 's/^/#   /' "$log" >&2
        return 1
    fi
    DPORT[$name]=$port
    for i in $(seq 1 100); do
        if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then return 0; fi
        sleep 0.05
    done
    echo "# daemon $name never answered /healthz" >&2
    return 1
}

daemon_signal() { kill "-$2" "${DPID[$1]}"; }

daemon_wait() {
    local name=$1 secs=${2:-20} pid=${DPID[$1]} i
    rc=124
    for i in $(seq 1 $((secs * 20))); do
        if ! kill -0 "$pid" 2>/dev/null; then
            rc=0
            wait "$pid" || rc=$?
            return 0
        fi
        sleep 0.05
    done
    return 0
}

daemon_stop_ok() {
    local n
    for n in "$@"; do
        daemon_signal "$n" TERM
        daemon_wait "$n" 20
        [ "$rc" -eq 0 ] && ok "daemon $n exits 0 on SIGTERM" || not_ok "daemon $n exit status $rc"
    done
}

# req NAME METHOD PATH [BODY|@FILE] [extra curl args...]
req() {
    local name=$1 method=$2 path=$3
    shift 3
    local body=""
    local -a data=()
    if [ $# -gt 0 ]; then
        body=$1
        shift
        data=(--data-binary "$body" -H 'Content-Type: application/json') # "@FILE" reads the file
    fi
    local -a how=(-X "$method")
    [ "$method" = HEAD ] && how=(--head) # -X HEAD would wait for a body that never comes
    code=$(curl -sS --max-time 30 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "${how[@]}" "${data[@]}" "$@" \
        "http://127.0.0.1:${DPORT[$name]}$path" 2>"$TMP/curl.err") || code="curl-failed-$?"
}

# metric NAME SERIES: the value of one Prometheus sample (0 when absent).
metric() {
    req "$1" GET /metrics
    awk -v s="$2" 'index($0, s " ") == 1 { v = $2 } END { print (v == "" ? 0 : v) }' "$TMP/body"
}

finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
