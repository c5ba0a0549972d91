#!/usr/bin/env bash
# test_weights_start.sh - dnnfuserd started with a --weights file it cannot use: missing, corrupt
# (checksum), or a valid file for another model (features/actions differ). By default it refuses to
# start (exit 1, one startup_failed line naming the file and the reason); with weights-optional 1 it
# serves, /readyz is 200 with a note, /v1/info says why (weights.fallback, weights.error), and a
# transformer request is answered by the exact solver. Usage: BUILD=build bash tests/integration/test_weights_start.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
ROOT="$HERE/../.."

cp "$ROOT/weights/dnnfuser.weights" "$TMP/corrupt.weights"
printf 'garbage' | dd of="$TMP/corrupt.weights" bs=1 seek=5000 conv=notrunc status=none
# a valid weights file of a 2-feature model (the fuzz seed without its flag byte): the loader takes it,
# the mapper does not
tail -c +2 "$ROOT/tests/fuzz/corpus/fuzz_weights/minimal_model" >"$TMP/other.weights"

# refuse DESC FILE REGEX: the daemon must exit 1 at start, logging startup_failed with REGEX
refuse() {
    local desc=$1 file=$2 want=$3 rc=0
    timeout 30 "${DAEMON_PREFIX[@]}" "$DAEMON" --bind 127.0.0.1 --port 0 --weights "$file" 2>"$TMP/refuse.log" || rc=$?
    if [ "$rc" -eq 1 ] && grep -Eq " error startup_failed weights=$file error=\"[^\"]*$want" "$TMP/refuse.log" \
        && ! grep -q ' listening on ' "$TMP/refuse.log"; then
        ok "$desc: refuses to start (exit 1): $(grep -o 'error="[^"]*"' "$TMP/refuse.log" | head -1)"
    else
        not_ok "$desc: exit $rc, log: $(head -3 "$TMP/refuse.log")"
    fi
}
refuse "missing weights file" "$TMP/nope.weights" "cannot open weights file $TMP/nope.weights: No such file"
refuse "corrupt weights file" "$TMP/corrupt.weights" "$TMP/corrupt.weights: weights file checksum mismatch"
refuse "weights of another model" "$TMP/other.weights" "weights expect 2 features and 2 actions, this build has"
grep -q 'weights-optional = 1' "$TMP/refuse.log" && ok "the refusal says how to serve anyway" || not_ok "no hint in the log"

daemon_start w --weights "$TMP/corrupt.weights" --weights-optional 1
ok "weights-optional 1: starts with a corrupt weights file"
check "weights-optional 1: logs weights_unavailable at warn" grep -q ' warn weights_unavailable weights=[^ ]* error="[^"]*checksum mismatch' "${DLOG[w]}"
req w GET /readyz
[ "$code" = 200 ] && has '"status":"ready"' && has '"note":"no transformer weights could be loaded' \
    && ok "/readyz 200 with a note saying the exact solver answers" || not_ok "/readyz $code"
req w GET /v1/info
[ "$code" = 200 ] && has '"weights":\{"loaded":false' && has '"fallback":"exact"' && has '"error":"[^"]*checksum mismatch' \
    && ok "/v1/info: weights loaded false, fallback exact, the error" || not_ok "/v1/info weights"
req w POST /v1/map '{"workload":"resnet18","budget":"256KiB","batch":2,"solver":"transformer"}'
[ "$code" = 200 ] && has '"solver":"transformer"' && has '"path":"exact-fallback"' && has '"feasible":true' \
    && ok "a transformer request is answered by the exact solver (path exact-fallback)" || not_ok "POST /v1/map $code"
DNNFUSER_WEIGHTS_OPTIONAL=1 daemon_start e --weights "$TMP/nope.weights"
req e GET /readyz
[ "$code" = 200 ] && ok "DNNFUSER_WEIGHTS_OPTIONAL=1 with a missing file: serving" || not_ok "env: /readyz $code"
daemon_stop_ok w e
finish weights-start
