#!/usr/bin/env bash
# test_systemd.sh - the systemd units and the example config: `systemd-analyze verify` (units point at
# the built daemon), the hardening score (`systemd-analyze security --offline`, exposure <= 2.0),
# every daemon option the units and the config use exists, the config parses (--print-config).
# Also checks that the deploy/ manifests parse (nginx -t on the nginx file; YAML by a small shape check).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
BUILD=${BUILD:-build}
DAEMON=$ROOT/$BUILD/dnnfuserd
[ -x "$DAEMON" ] || DAEMON=$BUILD/dnnfuserd
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

help=$("$DAEMON" --help 2>&1)
for unit in dnnfuserd.service dnnfuserd@.service; do
    f=$ROOT/systemd/$unit
    if ! command -v systemd-analyze >/dev/null; then
        not_ok "$unit: systemd-analyze not installed (make deps installs systemd)"
        continue
    fi
    # verify needs the ExecStart binary to exist: point a copy at the built one
    sed "s|/usr/local/bin/dnnfuserd|$DAEMON|" "$f" >"$TMP/$unit"
    out=$(cd "$TMP" && systemd-analyze verify "./$unit" 2>&1)
    # on a machine without systemd as PID 1 verify may warn about the manager itself; unit errors name the unit
    if printf '%s\n' "$out" | grep -v "^$" | grep -q "$unit"; then not_ok "$unit: systemd-analyze verify: $out"
    else ok "$unit: systemd-analyze verify"; fi
    score=$(systemd-analyze security --offline=yes "$TMP/$unit" 2>/dev/null |
        sed -nE 's/.*Overall exposure level for .*: ([0-9.]+).*/\1/p')
    if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then ok "$unit: exposure $score <= 2.0"
    else not_ok "$unit: exposure '${score:-?}' (target <= 2.0)"; fi
    for opt in $(grep -E '^ExecStart=' "$f" | grep -oE -- '--[a-z-]+'); do
        grep -q -- "$opt" <<<"$help" && ok "$unit: option $opt exists" || not_ok "$unit: unknown option $opt"
    done
    for k in Type=notify ExecReload= DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes WatchdogSec= \
        OPENBLAS_NUM_THREADS=1; do
        grep -q "$k" "$f" && ok "$unit has $k" || not_ok "$unit lacks $k"
    done
done
if "$DAEMON" --config "$ROOT/systemd/dnnfuserd.conf" --print-config >"$TMP/conf.out" 2>&1; then
    ok "the example config parses"
else
    not_ok "the example config: $(head -2 "$TMP/conf.out")"
fi
for k in $(grep -oE '^[a-z-]+ *=' "$ROOT/systemd/dnnfuserd.conf" | tr -d ' ='); do
    grep -q -- "--$k " <<<"$help" || not_ok "config key $k is not a daemon option"
done

# nginx: the front config parses inside an http block
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    mkdir -p "$TMP/ng/logs"
    { echo "error_log $TMP/ng/logs/error.log; pid $TMP/ng/nginx.pid; events {}"
      echo "http { access_log off; client_body_temp_path $TMP/ng/cb; proxy_temp_path $TMP/ng/px; fastcgi_temp_path $TMP/ng/fc; uwsgi_temp_path $TMP/ng/uw; scgi_temp_path $TMP/ng/sc;"
      cat "$ROOT/deploy/nginx/dnnfuser.conf"; echo "}"; } >"$TMP/ng/nginx.conf"
    if "$NGINX" -t -p "$TMP/ng" -c "$TMP/ng/nginx.conf" >"$TMP/ng/t.out" 2>&1; then ok "deploy/nginx/dnnfuser.conf passes nginx -t"
    else not_ok "nginx -t: $(grep -v '^$' "$TMP/ng/t.out" | head -2)"; fi
else
    not_ok "nginx not installed (make deps installs nginx-light)"
fi
# k8s: each manifest names its kind and the probes point at the daemon's endpoints
for f in deployment service hpa; do
    grep -qE '^kind: (Deployment|Service|HorizontalPodAutoscaler)$' "$ROOT/deploy/k8s/$f.yaml" && ok "deploy/k8s/$f.yaml has a kind" \
        || not_ok "deploy/k8s/$f.yaml: no kind"
done
grep -q 'path: /healthz' "$ROOT/deploy/k8s/deployment.yaml" && grep -q 'path: /readyz' "$ROOT/deploy/k8s/deployment.yaml" \
    && ok "the Deployment probes /healthz (liveness) and /readyz (readiness)" || not_ok "Deployment probes"
echo "systemd: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
