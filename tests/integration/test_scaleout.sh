#!/usr/bin/env bash
# test_scaleout.sh - scale-out under failure (DESIGN.md section 7): two real dnnfuserd instances on
# 127.0.0.1 behind Debian's nginx running deploy/nginx/dnnfuser.conf (its upstream servers and
# listen port rewritten to this test's loopback ports); a bounded, paced load of 600 POST /v1/map
# (resnet18, exact) from 8 curl clients; half-way one instance hangs (SIGSTOP, so requests are in
# flight on it) and is killed 0.3 s later (SIGKILL). Checks: no client request fails (all 200:
# nginx retries them on the survivor, POSTs included), some in-flight requests were retried, both
# instances served before the kill (their /metrics) and the survivor after it, nginx's body limit
# equals the daemon's max-body; and statically, deploy/k8s/deployment.yaml's DNNFUSER_* settings
# parse and its grace period outlasts preStop plus the drain. nginx runs unprivileged-capable
# (-p $TMP/nginx; pid, logs and temp paths there; `daemon off;` in the background; `user` only
# when root). Everything started here is killed by pid on exit. About 5 s.
# Usage: BUILD=build bash tests/integration/test_scaleout.sh   (REQUESTS, CLIENTS, RATE to vary)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
NGINX=${NGINX:-/usr/sbin/nginx}
FRONT_CONF="$ROOT/deploy/nginx/dnnfuser.conf"
REQUESTS=${REQUESTS:-600}
CLIENTS=${CLIENTS:-8}
RATE=${RATE:-20} # requests per second per client (curl --rate): the load lasts about 4 s
KILL_AT=$((REQUESTS / 2))
BODY='{"workload":"resnet18","hardware":"edge","budget":"256KiB","batch":4,"solver":"exact"}'
T0=$(date +%s.%N)

if [ ! -x "$NGINX" ]; then
    not_ok "nginx not found at $NGINX (Debian package nginx-light; run make deps)"
    finish scaleout
    exit 1
fi

# map200 NAME: map requests that daemon answered 200 so far.
map200() { metric "$1" 'dnnfuser_requests_total{route="map",code="200"}'; }

# --- the nginx body limit is the daemon's --------------------------------------------------------
nginx_limit=$(sed -nE 's/^ *client_max_body_size +([0-9]+)([kKmM]?);.*/\1 \2/p' "$FRONT_CONF" | head -1)
read -r n unit <<<"$nginx_limit"
case "$unit" in k | K) n=$((n * 1024)) ;; m | M) n=$((n * 1024 * 1024)) ;; esac
daemon_limit=$(timeout 10 "$DAEMON" --config "$ROOT/systemd/dnnfuserd.conf" --print-config | sed -nE 's/^max-body = ([0-9]+)$/\1/p')
[ -n "$n" ] && [ "$n" = "$daemon_limit" ] && ok "nginx client_max_body_size ($n bytes) = the daemon's max-body" \
    || not_ok "nginx client_max_body_size '$nginx_limit' vs the daemon's max-body '$daemon_limit'"

# --- the Kubernetes manifests against the daemon --------------------------------------------------
K8S="$ROOT/deploy/k8s/deployment.yaml"
# name=value of every DNNFUSER_* / OPENBLAS_* variable the Deployment sets
awk '/- name: (DNNFUSER|OPENBLAS)_/ { n = $3; next } n && /value:/ { v = $2; gsub(/"/, "", v); print n "=" v; n = "" }' \
    "$K8S" >"$TMP/k8s.env"
unknown=""
while IFS== read -r k _; do
    [[ $k == DNNFUSER_* ]] || continue
    "$DAEMON" --help | grep -Eq "env $k\$" || unknown="$unknown $k"
done <"$TMP/k8s.env"
rc=0
mapfile -t kenv <"$TMP/k8s.env"
env -i PATH="$PATH" "${kenv[@]}" timeout 10 "$DAEMON" --print-config >"$TMP/k8s.print" 2>&1 || rc=$?
[ -z "$unknown" ] && [ "$rc" -eq 0 ] && [ "$(grep -c '^DNNFUSER_' "$TMP/k8s.env")" -ge 3 ] \
    && ok "deploy/k8s: the Deployment's DNNFUSER_* settings exist and parse (--print-config)" \
    || not_ok "deploy/k8s: unknown [$unknown], exit $rc: $(head -2 "$TMP/k8s.print")"
grace=$(sed -nE 's/^ *terminationGracePeriodSeconds: ([0-9]+).*/\1/p' "$K8S")
prestop=$(awk '/preStop:/ { p = 1 } p && /seconds:/ { print $2; exit }' "$K8S")
drain=$(sed -nE 's/^drain-timeout-ms = ([0-9]+)$/\1/p' "$TMP/k8s.print")
[ -n "$grace" ] && [ -n "$prestop" ] && [ -n "$drain" ] && [ $((grace * 1000)) -gt $((prestop * 1000 + drain)) ] \
    && ok "deploy/k8s: terminationGracePeriodSeconds $grace > preStop ${prestop}s + drain ${drain} ms" \
    || not_ok "deploy/k8s: grace '$grace' vs preStop '$prestop' s + drain '$drain' ms"
grep -q 'path: /livez' "$K8S" && grep -q 'path: /readyz' "$K8S" && ok "deploy/k8s: liveness /livez, readiness /readyz" \
    || not_ok "deploy/k8s: probes are not /livez and /readyz"

# --- two instances ---------------------------------------------------------------------------------
daemon_start a --workers 2 --mhd-threads 2
daemon_start b --workers 2 --mhd-threads 2

# --- nginx in front, from deploy/nginx/dnnfuser.conf ----------------------------------------------
N="$TMP/nginx"
mkdir -p "$N"
user_line=""
if [ "$(id -u)" = 0 ]; then
    # root: workers drop to nobody (nginx creates its temp dirs for that user); they must reach them
    user_line="user nobody nogroup;"
    chmod 711 "$TMP"
    chmod 755 "$N"
fi
# front_conf PORT: the deploy file with our two daemons as its servers (their parameters kept) and
# PORT as its listen port.
front_conf() {
    awk -v a="${DPORT[a]}" -v b="${DPORT[b]}" -v port="$1" '
        /^ *server 127\.0\.0\.1:[0-9]+ / {
            if (!done) { p = $0; sub(/127\.0\.0\.1:[0-9]+/, "127.0.0.1:" a, p); print p
                         sub(/127\.0\.0\.1:[0-9]+/, "127.0.0.1:" b); print; done = 1 }
            next
        }
        /^ *listen 127\.0\.0\.1:[0-9]+;/ { sub(/127\.0\.0\.1:[0-9]+/, "127.0.0.1:" port) }
        { print }
    ' "$FRONT_CONF"
}
cat >"$N/nginx.conf" <<EOF
# generated by tests/integration/test_scaleout.sh around deploy/nginx/dnnfuser.conf
$user_line
worker_processes 2;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 512; }
http {
    log_format up '\$status \$upstream_addr \$upstream_status \$request_time';
    access_log $N/access.log up;
    client_body_temp_path $N/client_body;
    proxy_temp_path $N/proxy;
    fastcgi_temp_path $N/fastcgi;
    uwsgi_temp_path $N/uwsgi;
    scgi_temp_path $N/scgi;
    include $N/dnnfuser.conf;
}
EOF
front_conf 8080 >"$N/dnnfuser.conf"
if timeout 10 "$NGINX" -t -q -e "$N/error.log" -p "$N" -c "$N/nginx.conf" 2>"$TMP/nginx-t.err"; then
    ok "nginx -t accepts deploy/nginx/dnnfuser.conf (servers and port rewritten)"
else
    not_ok "nginx -t: $(head -3 "$TMP/nginx-t.err")"
fi
grep -q "127.0.0.1:${DPORT[a]} max_fails=" "$N/dnnfuser.conf" && grep -q "127.0.0.1:${DPORT[b]} max_fails=" "$N/dnnfuser.conf" \
    && ok "the generated upstream holds both daemons with the deploy file's parameters" \
    || not_ok "upstream not rewritten: $(grep -E '^ *server ' "$N/dnnfuser.conf" | tr '\n' ' ')"

# a free loopback port: try a few random ones
NPORT=""
for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    front_conf "$port" >"$N/dnnfuser.conf"
    "$NGINX" -e "$N/error.log" -p "$N" -c "$N/nginx.conf" 2>>"$N/error.log" &
    npid=$!
    BGPIDS+=("$npid")
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz"; then NPORT=$port; break; fi
        kill -0 "$npid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$NPORT" ] && break
    kill "$npid" 2>/dev/null || true
    wait "$npid" 2>/dev/null || true
done
if [ -z "$NPORT" ]; then
    not_ok "nginx did not start: $(tail -3 "$N/error.log")"
    finish scaleout
    exit 1
fi
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' -d "$BODY" \
    "http://127.0.0.1:$NPORT/v1/map") || code="curl-failed"
[ "$code" = 200 ] && has '"feasible":true' && ok "POST /v1/map through nginx on 127.0.0.1:$NPORT" \
    || not_ok "POST /v1/map through nginx: $code"

# one request id end to end: nginx's own $request_id when the client sent none, the client's otherwise
curl -s -D "$TMP/hdr" -o /dev/null --max-time 10 "http://127.0.0.1:$NPORT/v1/info" || true
rid=$(sed -nE 's/^X-Request-Id: ([^\r]*)\r?$/\1/ip' "$TMP/hdr" | head -1)
[[ "$rid" =~ ^[0-9a-f]{32}$ ]] && ok "through nginx a request gets nginx's request id ($rid)" \
    || not_ok "request id through nginx: '$rid'"
curl -s -D "$TMP/hdr" -o /dev/null --max-time 10 -H 'X-Request-Id: client-7.a' "http://127.0.0.1:$NPORT/v1/info" || true
rid=$(sed -nE 's/^X-Request-Id: ([^\r]*)\r?$/\1/ip' "$TMP/hdr" | head -1)
[ "$rid" = client-7.a ] && ok "a client's X-Request-Id passes nginx and comes back" || not_ok "client id through nginx: '$rid'"

# --- nginx's own errors are problem+json (RFC 9457), like the daemon's ------------------------------
# problem_check NAME WANT_CODE CURL_ARGS...: nginx answers WANT_CODE as application/problem+json
problem_check() {
    local name=$1 want=$2; shift 2
    local out
    out=$(curl -s -o "$TMP/pbody" -w '%{http_code} %{content_type}' --max-time 10 "$@") || out="curl-failed"
    if [ "$out" = "$want application/problem+json" ] && grep -q "\"status\":$want," "$TMP/pbody"; then
        ok "nginx's $want ($name) is a problem+json body"
    else
        not_ok "nginx's $name: '$out' $(head -c 120 "$TMP/pbody")"
    fi
}
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$TMP/big.json"
problem_check "body over client_max_body_size" 413 -H 'Content-Type: application/json' --data-binary "@$TMP/big.json" \
    "http://127.0.0.1:$NPORT/v1/map"
problem_check "/metrics is not proxied" 404 "http://127.0.0.1:$NPORT/metrics"
problem_check "request line too long" 414 "http://127.0.0.1:$NPORT/$(head -c 20000 /dev/zero | tr '\0' a)"
problem_check "header too large" 400 -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "http://127.0.0.1:$NPORT/v1/info"
# the daemon's own problems pass through untouched (proxy_intercept_errors off)
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$NPORT/v1/workloads/nosuchnet") || code=curl-failed
[ "$code" = 404 ] && has 'unknown-workload' && ok "the daemon's own 404 passes through nginx unchanged" ||
    not_ok "daemon 404 through nginx: $code $(head -c 120 "$TMP/body")"

# --- bounded load; one instance hangs and is killed half-way ------------------------------------------------
printf '%s' "$BODY" >"$TMP/map.json"
per=$((REQUESTS / CLIENTS))
sent=$((per * CLIENTS))
cpids=()
for c in $(seq 1 "$CLIENTS"); do
    {
        echo 'silent'
        echo 'header = "Content-Type: application/json"'
        echo "data-binary = \"@$TMP/map.json\""
        echo 'write-out = "%{http_code}\n"'
        echo 'max-time = 20'
        echo "rate = \"$RATE/s\""
        for _ in $(seq 1 "$per"); do
            echo "url = \"http://127.0.0.1:$NPORT/v1/map\""
            echo 'output = "/dev/null"'
        done
    } >"$TMP/load.$c.cfg"
    : >"$TMP/codes.$c"
done
before_a=$(map200 a)
before_b=$(map200 b)
for c in $(seq 1 "$CLIENTS"); do
    curl -K "$TMP/load.$c.cfg" >"$TMP/codes.$c" 2>/dev/null &
    cpids+=($!)
    BGPIDS+=($!)
done
# served: map answers counted by both daemons (curl buffers its per-request output until it ends)
served() { echo $(($(map200 a) + $(map200 b) - before_a - before_b)); }
deadline=$(($(date +%s) + 25))
while [ "$(served)" -lt "$KILL_AT" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.02; done
at_kill_a=$(map200 a)
at_kill_b=$(map200 b)
done_at_kill=$((at_kill_a + at_kill_b - before_a - before_b))
# A crash with requests in flight: b hangs (SIGSTOP) while nginx keeps sending it some requests,
# then dies (SIGKILL); those requests were already sent, so only a retry can save them.
bpid=${DPID[b]}
kill -STOP "$bpid"
sleep 0.3
kill -KILL "$bpid"
{ wait "$bpid"; } 2>/dev/null || true # quiet: no "Killed" job notice
unset 'DPID[b]'
echo "# instance b (pid $bpid) stopped, then killed with SIGKILL 0.3 s later, after $done_at_kill answers"
for p in "${cpids[@]}"; do
    while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.05; done
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
done
after_a=$(map200 a)
rm -f "$TMP/body" # not_ok would print the last /metrics body

got=$(cat "$TMP"/codes.* | wc -l)
good=$(cat "$TMP"/codes.* | grep -c '^200$' || true)
failed=$((sent - good))
secs=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
retried=$(grep -c ', ' "$N/access.log" || true)
echo "# load: $sent requests sent by $CLIENTS clients, $got answered, $good with 200, $failed failed;" \
    "$retried retried by nginx on the other instance; test time ${secs} s"
[ "$failed" -eq 0 ] && ok "no client request failed across the kill ($good/$sent answered 200)" \
    || not_ok "$failed of $sent requests failed (codes: $(cat "$TMP"/codes.* | sort | uniq -c | tr '\n' ' '))"
[ $((at_kill_a - before_a)) -gt 0 ] && [ $((at_kill_b - before_b)) -gt 0 ] \
    && ok "both instances served before the kill (a: $((at_kill_a - before_a)), b: $((at_kill_b - before_b)))" \
    || not_ok "an instance served nothing before the kill (a: $((at_kill_a - before_a)), b: $((at_kill_b - before_b)))"
[ $((after_a - at_kill_a)) -gt 0 ] && ok "the survivor served after the kill ($((after_a - at_kill_a)) requests)" \
    || not_ok "the survivor served nothing after the kill"
[ "$done_at_kill" -lt "$sent" ] && ok "the kill came mid-way ($done_at_kill of $sent answered)" \
    || not_ok "the load was over before the kill ($done_at_kill of $sent)"
[ "$retried" -gt 0 ] && ok "requests in flight on the dead instance were retried on the survivor ($retried)" \
    || not_ok "no request was retried (none in flight on b at the kill?)"
kill -0 "${DPID[a]}" 2>/dev/null && ok "the survivor is still running" || not_ok "the survivor died"

daemon_signal a TERM
daemon_wait a 20
[ "$rc" -eq 0 ] && ok "the survivor drains and exits 0" || not_ok "survivor exit status $rc"
problem_check "no instance left" 502 "http://127.0.0.1:$NPORT/v1/info"
curl -s -D "$TMP/hdr" -o /dev/null --max-time 10 "http://127.0.0.1:$NPORT/v1/info" || true
grep -qi '^Retry-After: 1' "$TMP/hdr" && ok "nginx's 502 says Retry-After" || not_ok "nginx's 502 has no Retry-After"
finish scaleout
