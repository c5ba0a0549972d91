#!/usr/bin/env bash
# test_harden_http.sh - libmicrohttpd's own edges (issue 17 row 12) and a request the spec allows
# (row 6):
#   - GET with 1,000 query parameters: 431 problem at once (MHD 0.9.75 logged 431, sent nothing and
#     held the socket for --conn-timeout); a 70 KB URL: 414; a 70 KB header: 431; all within 2 s
#   - Expect: 100-continue: no 100 for a request already known to fail (415 by Content-Type, 413 by
#     Content-Length, 404), its final status at once with Connection: close; a valid one gets 100
#   - during the SIGTERM drain new connections are refused (connect fails), while the request in
#     flight completes
#   - "ga": {"population": 2} is answered 200 (was 500 "tournament = 3 out of range")
# Usage: BUILD=build bash tests/integration/test_harden_http.sh   (about 10 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
export OPENBLAS_NUM_THREADS=1
now_ms() { date +%s%3N; }

daemon_start h
url="http://127.0.0.1:${DPORT[h]}"

# --- MHD's error paths answer promptly --------------------------------------------------------
q=$(seq 1 1000 | sed 's/.*/p&=&/' | paste -sd '&')
t0=$(now_ms)
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 10 "$url/healthz?$q" || true)
t1=$(now_ms)
[ "$code" = 431 ] && [ $((t1 - t0)) -lt 2000 ] && ok "GET with 1,000 query parameters: 431 in $((t1 - t0)) ms" \
    || not_ok "1,000 query parameters: $code after $((t1 - t0)) ms"
check "... as a problem document" has '"status":431' "$TMP/body"
long=$(head -c 70000 /dev/zero | tr '\0' x)
t0=$(now_ms)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/healthz?q=$long" || true)
t1=$(now_ms)
[ "$code" = 414 ] && [ $((t1 - t0)) -lt 2000 ] && ok "a 70 KB URL: 414 in $((t1 - t0)) ms" || not_ok "70 KB URL: $code after $((t1 - t0)) ms"
t0=$(now_ms)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "X-Big: $long" "$url/healthz" || true)
t1=$(now_ms)
[ "$code" = 431 ] && [ $((t1 - t0)) -lt 2000 ] && ok "a 70 KB header: 431 in $((t1 - t0)) ms" || not_ok "70 KB header: $code after $((t1 - t0)) ms"
q=$(seq 1 20 | sed 's/.*/p&=&/' | paste -sd '&')
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/healthz?$q" || true)
[ "$code" = 200 ] && ok "20 query parameters are fine" || not_ok "20 query parameters: $code"
[ "$(metric h 'dnnfuser_connections_cut_total{reason="query_too_large"}')" -ge 1 ] && ok "counted (query_too_large)" \
    || not_ok "query_too_large not counted"

# --- Expect: 100-continue ----------------------------------------------------------------------
head -c 2000000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
printf '{"workload":"resnet18","hardware":"edge","budget":"1MiB","batch":1,"solver":"exact"}' >"$TMP/ok.json"
# expect100 DESC WANT FILE CONTENT-TYPE [PATH]: the status, whether a 100 came, and the time taken
expect100() {
    local desc=$1 want=$2 file=$3 ct=$4 path=${5:-/v1/map} t0 t1 got
    t0=$(now_ms)
    got=$(curl -sv -o "$TMP/body" -w '%{http_code}' --max-time 10 --expect100-timeout 5 -H 'Expect: 100-continue' \
        -H "Content-Type: $ct" --data-binary "@$file" "$url$path" 2>"$TMP/verbose" || true)
    t1=$(now_ms)
    local cont=no
    grep -q '^< HTTP/1.1 100' "$TMP/verbose" && cont=yes
    if [ "$want" = 100 ]; then
        [ "$cont" = yes ] && [ "$got" = 200 ] && ok "$desc: 100 Continue, then $got" || not_ok "$desc: 100=$cont, status $got"
    else
        [ "$cont" = no ] && [ "$got" = "$want" ] && [ $((t1 - t0)) -lt 3000 ] \
            && ok "$desc: $got at once, no 100 Continue ($((t1 - t0)) ms)" || not_ok "$desc: 100=$cont, status $got, $((t1 - t0)) ms"
        [ "$cont" = no ] && grep -qi '^< Connection: close' "$TMP/verbose" || not_ok "$desc: no Connection: close"
    fi
}
expect100 "Expect with text/plain" 415 "$TMP/ok.json" text/plain
expect100 "Expect with a 2 MB body (max-body 1 MiB)" 413 "$TMP/big.json" application/json
expect100 "Expect on an unknown route" 404 "$TMP/ok.json" application/json /v1/nope
expect100 "Expect on a valid request" 100 "$TMP/ok.json" application/json

# --- ga population 2 (the spec's minimum) ----------------------------------------------------------
req h POST /v1/map '{"workload":"resnet18","hardware":"edge","budget":"1MiB","batch":2,"solver":"ga","ga":{"population":2,"generations":5}}'
[ "$code" = 200 ] && has '"feasible":true' && ok "ga population 2: 200, feasible" || not_ok "ga population 2: $code"

# --- new connections during the drain are refused -------------------------------------------------
slow='{"workload":"resnet50","solver":"ga","ga":{"population":1000,"generations":1000,"seed":1},"deadline_ms":8000}'
curl -s -o "$TMP/inflight.body" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' \
    --data-binary "$slow" "$url/v1/map" >"$TMP/inflight.code" 2>/dev/null &
inflight=$!
BGPIDS+=("$inflight")
for _ in $(seq 1 100); do
    [ "$(metric h dnnfuser_inflight)" -ge 2 ] && break # the slow one and this /metrics
    sleep 0.02
done
daemon_signal h TERM
sleep 0.2
t0=$(now_ms)
rc=0
curl -s -o /dev/null --max-time 3 "$url/healthz" 2>/dev/null || rc=$?
t1=$(now_ms)
[ "$rc" = 7 ] && ok "during the drain a new connection is refused at once (curl exit 7 in $((t1 - t0)) ms)" \
    || not_ok "during the drain: curl exit $rc after $((t1 - t0)) ms (7 = refused, 28 = hung)"
wait "$inflight" || true
got=$(cat "$TMP/inflight.code")
[ "$got" = 200 ] || [ "$got" = 504 ] && ok "the request in flight at SIGTERM got its answer ($got)" || not_ok "in flight: $got"
daemon_wait h 30
[ "$rc" = 0 ] && ok "exit 0 after the drain" || not_ok "exit $rc after the drain"
finish test_harden_http
