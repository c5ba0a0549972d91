#!/usr/bin/env bash
# test_scaleout.sh - DESIGN §7 scale-out: Debian's nginx (deploy/nginx/dnnfuser.conf, ports rewritten)
# in front of two real daemons on loopback; a bounded load of POST /v1/map from 8 concurrent curl
# loops; one daemon is killed (SIGKILL) mid-way. Every client request must succeed (nginx retries a
# failed upstream on the other), both daemons served before the kill and the survivor after.
source "$(dirname "$0")/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
    not_ok "nginx not installed (make deps installs nginx-light)"
    finish scaleout
fi
HERE=$(cd "$(dirname "$0")" && pwd)

daemon_start s1 --workers 1
daemon_start s2 --workers 1

# a free loopback port for nginx: bind-test candidates in the ephemeral range
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}
NPORT=$(free_port)
ng=$TMP/nginx
mkdir -p "$ng/logs"
user=""
[ "$(id -u)" = 0 ] && user="user root;"
{
    echo "$user worker_processes 1; daemon off; error_log $ng/logs/error.log warn; pid $ng/nginx.pid;"
    echo "events { worker_connections 256; }"
    echo "http { access_log $ng/logs/access.log; client_body_temp_path $ng/cb; proxy_temp_path $ng/px;"
    echo "fastcgi_temp_path $ng/fc; uwsgi_temp_path $ng/uw; scgi_temp_path $ng/sc;"
    # the shipped front config, with the two daemons as the upstream and nginx on a free port
    awk -v a="${DPORT[s1]}" -v b="${DPORT[s2]}" -v n="$NPORT" '
        /server 127\.0\.0\.1:808[1-4]/ { if (!done) { print "    server 127.0.0.1:" a " max_fails=2 fail_timeout=5s;";
                                                        print "    server 127.0.0.1:" b " max_fails=2 fail_timeout=5s;"; done = 1 } next }
        /listen 127\.0\.0\.1:8080;/ { print "    listen 127.0.0.1:" n ";"; next }
        { print }' "$HERE/../../deploy/nginx/dnnfuser.conf"
    echo "}"
} >"$ng/nginx.conf"
"$NGINX" -p "$ng" -c "$ng/nginx.conf" 2>"$ng/stderr" &
NGPID=$!
BGPIDS+=("$NGPID")
for _ in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$NPORT/healthz" && break
    sleep 0.05
done
req_ng() { curl -sS --max-time 20 -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
    -d '{"workload":"resnet18","hardware":"edge","budget":"512KiB","batch":4,"solver":"exact"}' \
    "http://127.0.0.1:$NPORT/v1/map" 2>/dev/null || echo "curl-failed"; }
code=$(req_ng)
[ "$code" = 200 ] && ok "nginx on 127.0.0.1:$NPORT answers /v1/map through the two daemons" || not_ok "nginx front: $code ($(tail -2 "$ng/stderr" "$ng/logs/error.log" 2>/dev/null))"

LOOPS=8 PER=75 # 600 requests
LPIDS=()
start=$(date +%s%N)
for i in $(seq 1 $LOOPS); do
    ( for _ in $(seq 1 $PER); do req_ng; done >"$TMP/load.$i" ) &
    BGPIDS+=($!)
    LPIDS+=($!)
done
# kill one daemon once a third of the load is through
for _ in $(seq 1 400); do
    done_n=$(cat "$TMP"/load.* 2>/dev/null | wc -l)
    [ "$done_n" -ge $((LOOPS * PER / 3)) ] && break
    sleep 0.05
done
s1_before=$(metric s1 'dnnfuser_requests_total{route="map",code="200"}')
s2_before=$(metric s2 'dnnfuser_requests_total{route="map",code="200"}')
kill -9 "${DPID[s1]}"
killed_at=$(cat "$TMP"/load.* | wc -l)
wait "${LPIDS[@]}"
ms=$((($(date +%s%N) - start) / 1000000))
total=$(cat "$TMP"/load.* | wc -l)
good=$(cat "$TMP"/load.* | grep -c '^200$' || true)
bad=$((total - good))
[ "$total" -eq $((LOOPS * PER)) ] && [ "$bad" -eq 0 ] \
    && ok "$total requests through nginx, daemon s1 killed after $killed_at: $bad failed ($ms ms)" \
    || not_ok "$total requests, $bad failed: $(cat "$TMP"/load.* | grep -v '^200$' | sort | uniq -c | tr '\n' ' ')"
[ "$s1_before" -gt 0 ] && [ "$s2_before" -gt 0 ] && ok "both daemons served before the kill ($s1_before + $s2_before)" \
    || not_ok "before the kill: s1 $s1_before, s2 $s2_before"
s2_after=$(metric s2 'dnnfuser_requests_total{route="map",code="200"}')
[ "$s2_after" -gt "$s2_before" ] && ok "the survivor served the rest ($s2_before -> $s2_after)" \
    || not_ok "survivor: $s2_before -> $s2_after"
kill "$NGPID" 2>/dev/null
daemon_signal s2 TERM
daemon_wait s2 20
[ "$rc" -eq 0 ] && ok "the survivor exits 0 on SIGTERM" || not_ok "survivor exit status $rc"
finish scaleout
