#!/usr/bin/env bash
# test_daemon.sh - integration tests of dnnfuserd, the real binary on 127.0.0.1 (curl only):
# every endpoint's 200 path with field checks, every error class (400, 404, 405, 411, 413, 415, 422,
# 503 + Retry-After, 504), the OpenAPI contract (live responses carry every field api/openapi.yaml
# marks required), the transformer solver (the default: decoded on the loop, checked before reply;
# candidates; BERT; a workload longer than the model's context is decoded too), 20 concurrent
# requests counted in /metrics with decode steps batching more than one sequence, SIGHUP reload of
# settings and weights while serving (a corrupt weights file keeps the old ones), and the SIGTERM
# drain (requests in flight complete with 200, new connections refused, exit status 0), and
# ?format=svg on /v1/map and /v1/map/batch (image/svg+xml, bands = groups, escaping, 400s).
# Usage: BUILD=build bash tests/integration/test_daemon.sh   (about 10 s)
# Under valgrind: DAEMON_PREFIX="valgrind --leak-check=full --error-exitcode=99" SLOW='<a lighter body>' ...
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
API="$HERE/../../api/openapi.yaml"

# Bodies. SLOW keeps a worker busy for about half a second (a big genetic search on resnet50).
MAP_R50='{"workload":"resnet50","hardware":"edge","budget":"512KiB","batch":4,"solver":"exact"}'
MAP_SMALL='{"workload":"resnet18","budget":"256KiB","batch":2,"solver":"transformer"}'
SLOW=${SLOW:-'{"workload":"resnet50","solver":"ga","ga":{"population":256,"generations":500,"seed":1}}'}

# required_of SCHEMA: the names in the one-line "required: [...]" of components/schemas/SCHEMA.
required_of() {
    awk -v s="$1" '
        $0 == "    " s ":" { inside = 1; next }
        inside && /^    [A-Za-z]/ { exit }
        inside && /^      required: \[/ { sub(/.*required: \[/, ""); sub(/\].*/, ""); gsub(/,/, " "); print; exit }
    ' "$API"
}
# contract SCHEMA WHAT: every required field of SCHEMA appears as a key in $TMP/body.
contract() {
    local f fields missing=""
    fields=$(required_of "$1")
    for f in $fields; do grep -q "\"$f\":" "$TMP/body" || missing="$missing $f"; done
    if [ -n "$fields" ] && [ -z "$missing" ]; then ok "contract: $2 carries every required field of $1"; else not_ok "contract: $2 lacks [$missing] of $1 (${fields:-no schema})"; fi
}
# expect CODE DESC [REGEX...]: the last response had status CODE and its body matches every REGEX.
expect() {
    local want=$1 desc=$2 re
    shift 2
    if [ "$code" != "$want" ]; then not_ok "$desc (status $code, want $want)"; return; fi
    for re in "$@"; do
        if ! has "$re"; then not_ok "$desc (body lacks /$re/)"; return; fi
    done
    ok "$desc"
}
# problem CODE SLUG DESC [REGEX...]: an RFC 9457 body of that type, with request id and content type.
problem() {
    local want=$1 slug=$2 desc=$3
    shift 3
    expect "$want" "$desc" "\"type\":\"https://dnnfuser.dev/problems/$slug\"" "\"status\":$want" '"title":"' \
        '"detail":"' '"request_id":"' "$@"
    local ct
    ct=$(header Content-Type)
    [ "$ct" = "application/problem+json" ] || not_ok "$desc: Content-Type '$ct'"
}

cat >"$TMP/a.conf" <<'CONF'
# dnnfuserd test settings
queue-depth = 256   # reloaded below
log-level = info
CONF
daemon_start a --config "$TMP/a.conf" --workers 2 --mhd-threads 2
check "startup logs 'listening on 127.0.0.1:PORT' with the picked port" \
    grep -Eq "^[0-9T:.-]+Z info listening on 127\.0\.0\.1:${DPORT[a]} " "${DLOG[a]}"

# --- operations endpoints ----------------------------------------------------------------------
req a GET /healthz
expect 200 "GET /healthz" '"status":"ok"'
contract Health /healthz
[ -n "$(header X-Request-Id)" ] && ok "responses carry X-Request-Id" || not_ok "X-Request-Id header"
# ready once the weights are loaded (off the loop, a few milliseconds)
for _ in $(seq 1 100); do
    req a GET /readyz
    [ "$code" = 200 ] && break
    sleep 0.02
done
expect 200 "GET /readyz (weights loaded)" '"status":"ready"'
req a GET /v1/info
expect 200 "GET /v1/info" '"version":"[0-9]+\.[0-9]+\.[0-9]+"' '"solvers":\["auto","transformer","exact","ga","lbl"\]' \
    '"default_solver":"auto"' '"queue_depth":256' '"uptime_seconds":' \
    '"weights":\{"loaded":true,"source":"embedded","config":\{"d":[0-9]+,"L":[0-9]+,"H":[0-9]+,"T":[0-9]+' \
    '"metadata":"[^"]+' '"decode_slots":64' '"generation":1' '"f16_lossless":true'
contract Info /v1/info
req a HEAD /healthz
[ "$code" = 200 ] && ok "HEAD /healthz" || not_ok "HEAD /healthz ($code)"

# --- catalog -----------------------------------------------------------------------------------
req a GET /v1/workloads
expect 200 "GET /v1/workloads lists the zoo" '"name":"resnet50"' '"name":"bert_base"' '"description":"'
contract WorkloadSummary "/v1/workloads items"
req a GET /v1/workloads/resnet50
expect 200 "GET /v1/workloads/resnet50" '"layers":\[' '"type":"conv"'
contract Workload /v1/workloads/resnet50
req a GET '/v1/workloads/bert_base?seq_len=64'
expect 200 "GET /v1/workloads/bert_base?seq_len=64" '"type":"matmul"'
req a GET /v1/workloads/resnet9000
problem 404 unknown-workload "GET /v1/workloads/{unknown} is 404" 'resnet50'
req a GET '/v1/workloads/bert_base?seq_len=0'
problem 422 invalid-parameter "seq_len=0 is 422"
req a GET /v1/hardware/presets
expect 200 "GET /v1/hardware/presets" '"preset":"edge"' '"preset":"cloud"' '"dataflow":"'
contract Hardware "/v1/hardware/presets items"

# --- map ---------------------------------------------------------------------------------------
req a POST /v1/map "$MAP_R50"
expect 200 "POST /v1/map resnet50 on edge, 512KiB, batch 4" '"feasible":true' '"solver":"exact"' '"path":"exact"' \
    '"workload":\{"name":"resnet50","layers":[0-9]+,"macs":4[01][0-9]{8}' '"micro_batch":' '"latency_x":'
contract MapReply "/v1/map reply"
contract Timings "/v1/map timings"
contract Metrics "/v1/map metrics"
req a POST /v1/map '{"workload":"resnet50","budget":"512KiB","batch":4}'
expect 200 "POST /v1/map without a solver: auto, and the reply says which path answered and why" '"feasible":true' \
    '"solver":"auto"' '"path":"(exact|transformer|repaired|exact-fallback)"' '"note":"auto: [a-z]+[^"]*predicted time' \
    '"check_ms":' '"queue_ms":'
req a POST /v1/map '{"workload":"resnet50","budget":"512KiB","batch":4,"solver":"transformer"}'
expect 200 "POST /v1/map solver transformer, feasible" '"feasible":true' '"solver":"transformer"' \
    '"path":"(transformer|repaired|exact-fallback)"' '"inference_ms":' '"check_ms":' '"queue_ms":'
contract MapReply "/v1/map transformer reply"
req a POST /v1/map '{"workload":"resnet50","budget":"512KiB","batch":4,"candidates":4,"objective":"energy","solver":"transformer"}'
expect 200 "POST /v1/map transformer with candidates 4" '"feasible":true' '"solver":"transformer"' '"objective":"energy"'
req a POST /v1/map '{"workload":"bert_base","budget":"1MiB","batch":2,"solver":"transformer"}'
expect 200 "POST /v1/map transformer on BERT" '"feasible":true' '"solver":"transformer"' '"name":"bert_base"' \
    '"path":"(transformer|repaired|exact-fallback)"'
# longer than the model's context (T positions): the transformer decodes it by sliding its context
{
    printf '{"workload":{"name":"long","layers":['
    for i in $(seq 0 299); do printf '%s{"type":"fc","K":32,"C":32}' "$([ "$i" -gt 0 ] && echo ,)"; done
    printf ']},"batch":1,"budget":"64KiB","solver":"transformer"}'
} >"$TMP/long.json"
req a POST /v1/map "@$TMP/long.json"
expect 200 "a 300-layer workload (longer than the context) is decoded by the transformer" '"feasible":true' \
    '"solver":"transformer"' '"path":"(transformer|repaired)"'
req a POST /v1/map '{"workload":"resnet18","solver":"lbl","objective":"energy"}'
expect 200 "POST /v1/map solver lbl, energy" '"path":"lbl"' '"objective":"energy"'
req a POST /v1/map '{"workload":"mobilenetv2","solver":"ga","ga":{"population":16,"generations":20,"seed":3},"budget":262144}'
expect 200 "POST /v1/map solver ga (checked: ga or exact-fallback)" '"solver":"ga"' '"path":"(ga|exact-fallback)"'

# --- batch -------------------------------------------------------------------------------------
req a POST /v1/map/batch '{"requests":[{"workload":"resnet18"},{"workload":"resnet18","batch":"two"},{"workload":"mnasnet","budget":"1MiB"}]}'
expect 200 "POST /v1/map/batch (a failing item does not fail the call)" '"results":\[' '"index":0' \
    '"pointer":"/requests/1/batch"' '"index":2' '"status":400'
contract BatchReply "/v1/map/batch reply"
n=$(grep -o '"index":' "$TMP/body" | wc -l)
[ "$n" -eq 3 ] && ok "batch answers every request in order" || not_ok "batch results: $n indexes"
req a POST /v1/map/batch '{"base":{"workload":"resnet18","batch":2,"solver":"transformer"},"grid":{"budgets":["256KiB","1MiB"],"hardware":["edge","cloud"]}}'
n=$(grep -o '"path":' "$TMP/body" | wc -l)
# cloud is fp16: 256 KiB cannot hold resnet18's largest layer there, and that item says so
[ "$code" = 200 ] && [ "$n" -eq 3 ] && has '"index":3' && has '"pointer":"/grid/budgets/0","layer":[0-9]+.*"index":2' \
    && ok "batch grid 2 hardware x 2 budgets = 4 results (3 mappings, 1 budget-too-small pointing into the grid)" \
    || not_ok "batch grid ($code, $n answers)"
nt=$(grep -Eo '"path":"(transformer|repaired|exact-fallback)"' "$TMP/body" | wc -l)
[ "$nt" -eq 3 ] && has '"inference_ms":[0-9.]+[1-9]' && ! has 'exact-fallback' \
    && ok "transformer batch items are decoded by the transformer (3 x path transformer/repaired)" \
    || not_ok "batch transformer items: $(grep -Eo '"path":"[a-z-]+"' "$TMP/body" | tr '\n' ' ')"

# --- evaluate ----------------------------------------------------------------------------------
# resnet18's layer count from the catalog, to build a covering mapping
req a GET /v1/workloads
L18=$(grep -oE '"name":"resnet18","layers":[0-9]+' "$TMP/body" | grep -oE '[0-9]+$')
req a POST /v1/evaluate "{\"workload\":\"resnet18\",\"budget\":\"2MiB\",\"batch\":2,\"groups\":[{\"first\":0,\"last\":$((L18 - 1)),\"micro_batch\":1}]}"
expect 200 "POST /v1/evaluate (whole net as one group)" '"feasible":(true|false)' '"baseline":\{' '"groups":\[\{"first":0'
contract EvaluateReply "/v1/evaluate reply"
req a POST /v1/evaluate "{\"workload\":\"resnet18\",\"budget\":\"64KiB\",\"batch\":8,\"groups\":[{\"first\":0,\"last\":$((L18 - 1)),\"micro_batch\":8}]}"
expect 200 "POST /v1/evaluate infeasible mapping is 200 feasible=false naming the group" '"feasible":false' \
    '"overflow":\{"group":0' '"peak_layer_name":"' '"budget_bytes":65536'
contract Overflow "/v1/evaluate overflow" 
# depth-first groups (issue 14): a tile and an overlap mode are read and echoed with their figures
req a POST /v1/evaluate "{\"workload\":\"resnet18\",\"budget\":\"256KiB\",\"batch\":1,\"groups\":[{\"first\":0,\"last\":4,\"micro_batch\":1,\"tile\":{\"rows\":8,\"cols\":14},\"overlap\":\"cache_rows\"},{\"first\":5,\"last\":$((L18 - 1)),\"micro_batch\":1}]}"
expect 200 "POST /v1/evaluate with a tiled group" '"tile":\{"rows":8,"cols":14\}' '"overlap":"cache_rows"' '"tiles":28'
contract Group "/v1/evaluate tiled group"
req a POST /v1/map '{"workload":"fsrcnn","budget":"64KiB","space":"depth_first","objective":"energy"}'
expect 200 "POST /v1/map depth_first where only tiles fit (fsrcnn, 64 KiB)" '"space":"depth_first"' '"baseline":null' \
    '"feasible":true' '"overlap":"cache_'
contract MapReply "/v1/map depth-first reply"
req a POST /v1/evaluate '{"workload":"resnet18","groups":[{"first":0,"last":30,"micro_batch":1,"overlap":"cache"}]}'
problem 422 invalid-mapping "evaluate with an unknown overlap mode is 422" '"pointer":"/groups/0/overlap"'
req a POST /v1/evaluate '{"workload":"resnet18","groups":[{"first":0,"last":0,"micro_batch":1}]}'
problem 422 invalid-mapping "evaluate with groups not covering the net is 422" '"pointer":"/groups'
# a large body (~150 KB: 3000 layers) arrives in several upload callbacks and is accumulated
{
    printf '{"workload":{"name":"deep","layers":['
    for i in $(seq 0 2999); do printf '%s{"type":"fc","K":32,"C":32}' "$([ "$i" -gt 0 ] && echo ,)"; done
    printf ']},"batch":1,"budget":"1MiB","groups":['
    for i in $(seq 0 2999); do printf '%s{"first":%d,"last":%d,"micro_batch":1}' "$([ "$i" -gt 0 ] && echo ,)" "$i" "$i"; done
    printf ']}'
} >"$TMP/deep.json"
req a POST /v1/evaluate "@$TMP/deep.json"
expect 200 "POST /v1/evaluate with a $(($(wc -c <"$TMP/deep.json") / 1024)) KiB body (3000 layers)" '"layers":3000' '"feasible":true'

# --- errors ------------------------------------------------------------------------------------
req a POST /v1/map '{"workload": "resnet18",'
problem 400 malformed-json "bad JSON is 400 with jansson's line and column" '"detail":"line 1 column [0-9]+'
req a POST /v1/map '{"workload":"resnet18","batch":"four"}'
problem 400 invalid-request "wrong field type is 400 with a pointer" '"pointer":"/batch"'
req a POST /v1/map '{"workload":"resnet18","budjet":1}'
problem 400 invalid-request "unknown top-level field is 400 with a pointer" '"pointer":"/budjet"'
req a POST /v1/map '[1,2]'
problem 400 invalid-request "a body that is not an object is 400"
req a GET /nope
problem 404 not-found "unknown route is 404"
req a GET /v1/map
problem 405 method-not-allowed "GET /v1/map is 405"
[ "$(header Allow)" = "POST" ] && ok "405 carries Allow: POST" || not_ok "Allow header '$(header Allow)'"
req a DELETE /healthz
problem 405 method-not-allowed "DELETE /healthz is 405"
[ "$(header Allow)" = "GET, HEAD" ] && ok "405 carries Allow: GET, HEAD" || not_ok "Allow header '$(header Allow)'"
head -c 1200000 /dev/zero | tr '\0' 'x' | sed 's/^/{"workload":"/; s/$/"}/' >"$TMP/big.json"
req a POST /v1/map "@$TMP/big.json"
problem 413 body-too-large "a 1.2 MB body is 413 (Content-Length over max-body)"
req a POST /v1/map "@$TMP/big.json" -H 'Transfer-Encoding: chunked'
problem 413 body-too-large "a 1.2 MB chunked body is 413 (accumulated over max-body)"
code=$(curl -sS --max-time 10 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary "$MAP_SMALL" "http://127.0.0.1:${DPORT[a]}/v1/map")
problem 415 unsupported-media-type "text/plain body is 415"
code=$(curl -sS --max-time 10 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
    -H 'Content-Type: application/json; charset=utf-8' --data-binary "$MAP_SMALL" "http://127.0.0.1:${DPORT[a]}/v1/map")
expect 200 "application/json with a charset parameter is accepted"
code=$(curl -sS --max-time 10 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' "http://127.0.0.1:${DPORT[a]}/v1/map")
problem 411 length-required "POST without a body length is 411"
req a POST /v1/map '{"workload":{"name":"bad","layers":[{"type":"conv","K":8,"C":3,"Y":8,"X":8},{"type":"conv","K":-4,"C":8,"Y":8,"X":8}]}}'
problem 422 invalid-workload "invalid workload is 422 with the field's pointer" '"pointer":"/workload/layers/1/K"'
req a POST /v1/map '{"workload":"resnet18","hardware":"mars"}'
problem 422 invalid-hardware "unknown hardware preset is 422" '"pointer":"/hardware"'
req a POST /v1/map '{"workload":"resnet50","budget":"4KiB"}'
problem 422 budget-too-small "budget too small is 422 naming the layer and the bytes it needs" \
    '"pointer":"/budget"' '"layer":[0-9]+' '"layer_name":"[^"]+"' '"need_bytes":[0-9]+'
req a POST /v1/map '{"workload":"resnet18","candidates":17}'
problem 422 invalid-parameter "candidates out of range is 422" '"pointer":"/candidates"'
req a POST /v1/map '{"workload":"resnet18","solver":"magic"}'
problem 422 invalid-parameter "unknown solver is 422" '"pointer":"/solver"' 'transformer'
req a POST /v1/map '{"workload":"resnet18","batch":100000}'
problem 422 invalid-parameter "batch out of range is 422" '"pointer":"/batch"'
req a POST /v1/map "$(sed 's/}$/,"deadline_ms":1}/' <<<"$SLOW")"
problem 504 deadline-exceeded "deadline_ms 1 on a slow request is 504"
contract Problem "problem bodies"

# --- concurrency -------------------------------------------------------------------------------
before=$(metric a 'dnnfuser_requests_total{route="map",code="200"}')
pids=()
for i in $(seq 1 20); do
    curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
        --data-binary "$MAP_SMALL" "http://127.0.0.1:${DPORT[a]}/v1/map" >"$TMP/par.$i" 2>&1 &
    pids+=($!)
done
wait "${pids[@]}" || true
n200=$(cat "$TMP"/par.* | grep -c '^200$' || true)
[ "$n200" -eq 20 ] && ok "20 parallel POST /v1/map all 200" || not_ok "20 parallel: $n200 answered 200"
after=$(metric a 'dnnfuser_requests_total{route="map",code="200"}')
[ $((after - before)) -eq 20 ] && ok "/metrics counted the 20 requests ($before -> $after)" || not_ok "metrics counter $before -> $after"
dsum=$(metric a dnnfuser_decode_batch_size_sum)
dcount=$(metric a dnnfuser_decode_batch_size_count)
awk -v s="$dsum" -v c="$dcount" 'BEGIN { exit !(c > 0 && s / c > 1) }' \
    && ok "decode steps batched several sequences (mean $(awk -v s="$dsum" -v c="$dcount" 'BEGIN { printf "%.2f", s / c }') per step)" \
    || not_ok "decode batch size sum $dsum count $dcount"

req a GET /metrics
expect 200 "GET /metrics" '^dnnfuser_requests_total\{route="map",code="200"\} [0-9]+' \
    '^dnnfuser_request_duration_seconds_bucket\{route="map",le="\+Inf"\} ' '^dnnfuser_queue_wait_seconds_count [1-9]' \
    '^dnnfuser_solve_seconds_sum ' '^dnnfuser_batch_size_bucket\{le="1"\} ' '^dnnfuser_queue_depth 0$' \
    '^dnnfuser_inflight [0-9]+$' '^dnnfuser_build_info\{version="[0-9.]+"\} 1$' '^dnnfuser_uptime_seconds [0-9.]+$' \
    '^dnnfuser_requests_total\{route="map",code="504"\} 1$' '^# TYPE dnnfuser_request_duration_seconds histogram$' \
    '^dnnfuser_decode_steps_total [1-9]' '^# TYPE dnnfuser_decode_batch_size histogram$' \
    '^dnnfuser_answers_total\{path="transformer"\} [1-9]' '^dnnfuser_answers_total\{path="exact-fallback"\} [0-9]'
[ "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8" ] && ok "/metrics Content-Type is Prometheus text 0.0.4" \
    || not_ok "/metrics Content-Type '$(header Content-Type)'"

# --- SIGHUP: reload while serving ----------------------------------------------------------------
sed -i 's/^queue-depth = 256.*/queue-depth = 100/; s/^log-level = info/log-level = debug/' "$TMP/a.conf"
daemon_signal a HUP
for _ in $(seq 1 40); do
    req a GET /v1/info
    has '"queue_depth":100' && break
    sleep 0.05
done
expect 200 "SIGHUP reloads queue-depth from the config file" '"queue_depth":100'
check "SIGHUP logs the change" grep -q 'info reload applied=2' "${DLOG[a]}"
for _ in $(seq 1 100); do
    req a GET /v1/info
    has '"generation":2' && break
    sleep 0.02
done
expect 200 "SIGHUP reloads the (default) weights: generation 2" '"weights":\{"loaded":true' '"generation":2'
req a POST /v1/map "$MAP_SMALL"
expect 200 "still serving the transformer after SIGHUP" '"feasible":true' '"solver":"transformer"'
req a GET /readyz
expect 200 "ready after SIGHUP" '"status":"ready"'

# --- weights from a file; SIGHUP with a corrupt file keeps the old weights ------------------------
cp "$HERE/../../weights/dnnfuser.weights" "$TMP/w.weights"
daemon_start c --weights "$TMP/w.weights" --decode-slots 32 --workers 1
for _ in $(seq 1 100); do
    req c GET /readyz
    [ "$code" = 200 ] && break
    sleep 0.02
done
expect 200 "--weights FILE: ready"
req c GET /v1/info
expect 200 "/v1/info names the weights file" "\"source\":\"$TMP/w.weights\"" '"decode_slots":32'
printf 'garbage' | dd of="$TMP/w.weights" bs=1 seek=100 conv=notrunc status=none
daemon_signal c HUP
for _ in $(seq 1 100); do
    grep -q 'weights_reload ok=no' "${DLOG[c]}" && break
    sleep 0.02
done
check "a corrupt weights file is refused and logged" grep -q 'error weights_reload ok=no .* kept=previous' "${DLOG[c]}"
req c POST /v1/map "$MAP_SMALL"
expect 200 "still serving the transformer on the old weights" '"feasible":true' '"solver":"transformer"'
req c GET /v1/info
expect 200 "the old weights stay (generation 1)" '"generation":1'
daemon_signal c TERM
daemon_wait c 20
[ "$rc" -eq 0 ] && ok "daemon c exits 0 on SIGTERM" || not_ok "daemon c exit status $rc"

# --- cancellation: a deadline or a hang-up stops a running solver ------------------------------
# 4,000 small layers and a 64 MiB budget: the exact DP would run for minutes (groups of any length)
deep_body() {
    local i
    {
        printf '{"workload":{"name":"deep","layers":['
        for i in $(seq 0 3999); do
            [ "$i" -gt 0 ] && printf ','
            printf '{"name":"c%d","type":"conv","K":8,"C":8,"Y":8,"X":8,"R":3,"S":3,"pad":1}' "$i"
        done
        printf ']},"hardware":"edge","budget":"64MiB","batch":64,"solver":"exact","deadline_ms":%d}' "$1"
    } >"$2"
}
deep_body 800 "$TMP/deep800.json"
deep_body 60000 "$TMP/deep60s.json"
daemon_start d --workers 1 --mhd-threads 2 --decode-slots 16
t0=$(date +%s%N)
req d POST /v1/map @"$TMP/deep800.json" --max-time 30
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$code" = 504 ] && [ "$ms" -lt 2500 ] && ok "a running exact solve is stopped at its 800 ms deadline (504 after $ms ms)" \
    || not_ok "deadline on a running solve: $code after $ms ms"
[ "$(metric d dnnfuser_solver_cancelled_total)" -ge 1 ] && ok "the cancellation is counted (dnnfuser_solver_cancelled_total)" \
    || not_ok "dnnfuser_solver_cancelled_total not raised"
rc=0
curl -sS --max-time 1 -o /dev/null -H 'Content-Type: application/json' --data-binary @"$TMP/deep60s.json" \
    "http://127.0.0.1:${DPORT[d]}/v1/map" 2>/dev/null || rc=$?
t0=$(date +%s%N)
req d POST /v1/map '{"workload":"resnet18","hardware":"edge","budget":"512KiB","batch":8,"solver":"exact"}' --max-time 30
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 28 ] && [ "$code" = 200 ] && [ "$ms" -lt 2000 ] \
    && ok "a client that hangs up frees the only worker (next request 200 after $ms ms)" \
    || not_ok "hang-up: curl rc $rc, next request $code after $ms ms"
[ "$(metric d dnnfuser_client_gone_total)" -ge 1 ] && ok "the hang-up is counted (dnnfuser_client_gone_total)" \
    || not_ok "dnnfuser_client_gone_total not raised"
# 16 decode slots, 128 transformer items of 16 candidates each (one item per round: 128 x 72 = 9,216
# steps, seconds of decoding): hang up once decoding has begun, and the decode steps stop (the job is dropped at the next step boundary, not after its last item)
budgets=$(for k in $(seq 1 32); do printf '"%dKiB",' $((256 + 32 * k)); done)
grid="{\"base\":{\"workload\":\"resnet50\",\"batch\":8,\"candidates\":16,\"solver\":\"transformer\"},\"grid\":{\"budgets\":[${budgets%,}],\"hardware\":[\"edge\",\"mobile\",\"cloud\",\"eyeriss\"]}}"
curl -sS --max-time 20 -o /dev/null -H 'Content-Type: application/json' -d "$grid" \
    "http://127.0.0.1:${DPORT[d]}/v1/map/batch" 2>/dev/null &
cpid=$!
for _ in $(seq 1 250); do # hang up once decoding has begun
    [ "$(metric d dnnfuser_decode_steps_total)" -gt 0 ] && break
    sleep 0.02
done
kill "$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
sleep 0.2
s1=$(metric d dnnfuser_decode_steps_total)
sleep 0.3
s2=$(metric d dnnfuser_decode_steps_total)
[ "$s1" -gt 0 ] && [ "$s1" -lt 9216 ] && [ "$s1" = "$s2" ] && [ "$(metric d dnnfuser_client_gone_total)" -ge 2 ] \
    && ok "a batch whose client hung up stops decoding ($s1 of 9216 steps, none after)" \
    || not_ok "decoding after hang-up: steps $s1 -> $s2, gone $(metric d dnnfuser_client_gone_total)"
# --- NDJSON: a batch streamed one item per line, as each is done ------------------------------
req d POST /v1/map/batch '{"base":{"workload":"resnet18","batch":4,"solver":"exact"},"grid":{"budgets":["256KiB","1MiB","4MiB"],"hardware":["edge","mobile"]}}' \
    -H 'Accept: application/x-ndjson'
n=$(grep -c '^{' "$TMP/body" || true)
idx=$(grep -o '"index":[0-9]*' "$TMP/body" | cut -d: -f2 | tr '\n' ' ')
[ "$code" = 200 ] && [ "$n" -eq 6 ] && [ "$idx" = "0 1 2 3 4 5 " ] && grep -qi '^Content-Type: application/x-ndjson' "$TMP/headers" \
    && grep -qi '^Transfer-Encoding: chunked' "$TMP/headers" \
    && ok "Accept: application/x-ndjson streams the 6 grid items, one JSON object per line, in order" \
    || not_ok "NDJSON batch: $code, $n lines, indexes $idx"
# a fast item then a 4,000-layer one: the first line arrives while the second is still being solved
printf '{"requests":[{"workload":"resnet18","hardware":"edge","budget":"512KiB","batch":8,"solver":"exact"},%s]}' \
    "$(cat "$TMP/deep60s.json")" >"$TMP/stream.json"
c0=$(metric d dnnfuser_solver_cancelled_total)
rc=0
curl -sSN --max-time 1.5 -o "$TMP/stream.out" -H 'Accept: application/x-ndjson' -H 'Content-Type: application/json' \
    --data-binary @"$TMP/stream.json" "http://127.0.0.1:${DPORT[d]}/v1/map/batch" 2>/dev/null || rc=$?
[ "$rc" = 28 ] && grep -q '"index":0' "$TMP/stream.out" && ! grep -q '"index":1' "$TMP/stream.out" \
    && ok "the first item's line arrives before the batch ends (client cut at 1.5 s)" \
    || not_ok "NDJSON streaming: curl rc $rc, got: $(head -c 120 "$TMP/stream.out")"
for _ in $(seq 1 100); do
    [ "$(metric d dnnfuser_solver_cancelled_total)" -gt "$c0" ] && break
    sleep 0.02
done
[ "$(metric d dnnfuser_solver_cancelled_total)" -gt "$c0" ] && ok "a streamed batch whose client left stops its solver" \
    || not_ok "streamed batch: solver not cancelled after the client left"
daemon_signal d TERM
daemon_wait d 20
[ "$rc" -eq 0 ] && ok "daemon d exits 0 on SIGTERM" || not_ok "daemon d exit status $rc"

# --- 503: queue full ---------------------------------------------------------------------------
daemon_start b --queue-depth 1 --workers 1 --mhd-threads 2
pids=()
for i in $(seq 1 6); do
    curl -sS --max-time 30 -o "$TMP/q.$i.body" -D "$TMP/q.$i.hdr" -w '%{http_code}\n' -H 'Content-Type: application/json' \
        --data-binary "$SLOW" "http://127.0.0.1:${DPORT[b]}/v1/map" >"$TMP/q.$i" 2>&1 &
    pids+=($!)
done
wait "${pids[@]}" || true
n503=$(cat "$TMP"/q.? | grep -c '^503$' || true)
n200=$(cat "$TMP"/q.? | grep -c '^200$' || true)
[ "$n503" -ge 1 ] && [ "$n200" -ge 1 ] && [ $((n503 + n200)) -eq 6 ] && ok "queue depth 1, 1 worker, 6 slow requests: $n200 x 200, $n503 x 503" \
    || not_ok "queue full: $n200 x 200, $n503 x 503 of 6"
f=$(grep -l '^503$' "$TMP"/q.? | head -1)
if [ -n "$f" ] && grep -qi '^Retry-After: 1' "$f.hdr" && grep -q 'problems/queue-full' "$f.body"; then ok "503 queue-full carries Retry-After"; else not_ok "503 Retry-After"; fi
req b GET /healthz
expect 200 "the daemon is healthy after refusing work"

# --- SIGTERM: drain with requests in flight ----------------------------------------------------
# one request running and one queued (b has 1 worker, queue depth 1) when the signal arrives
pids=()
started=$(metric b dnnfuser_queue_wait_seconds_count)
for i in 1 2; do
    curl -sS --max-time 30 -o "$TMP/d.$i.body" -w '%{http_code}\n' -H 'Content-Type: application/json' \
        --data-binary "$SLOW" "http://127.0.0.1:${DPORT[b]}/v1/map" >"$TMP/d.$i" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        if [ "$i" = 1 ]; then [ "$(metric b dnnfuser_queue_wait_seconds_count)" -gt "$started" ] && break
        else [ "$(metric b dnnfuser_queue_depth)" -eq 1 ] && break; fi
        sleep 0.02
    done
done
daemon_signal b TERM
sleep 0.1
rc=0
curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:${DPORT[b]}/healthz" 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] && ok "after SIGTERM new connections are refused" || not_ok "after SIGTERM a new connection was accepted"
wait "${pids[@]}" || true
[ "$(cat "$TMP"/d.1 "$TMP"/d.2 | grep -c '^200$')" -eq 2 ] && grep -q '"feasible":true' "$TMP/d.2.body" \
    && ok "the 2 requests in flight at SIGTERM completed with 200" || not_ok "in-flight requests: $(cat "$TMP"/d.1 "$TMP"/d.2 | tr '\n' ' ')"
daemon_wait b 20
[ "$rc" -eq 0 ] && ok "the daemon exits 0 after the drain" || not_ok "exit status $rc after SIGTERM"
check "the drain is logged (draining, stopped)" grep -q ' info stopped ' "${DLOG[b]}"

daemon_signal a TERM
daemon_wait a 20
[ "$rc" -eq 0 ] && ok "daemon a exits 0 on SIGTERM" || not_ok "daemon a exit status $rc"
# 5xx answers are logged at warn; anything else at warn or error is a fault
if grep -E ' (error|warn) ' "${DLOG[a]}" | grep -Ev ' warn request .* status=50[34] ' >"$TMP/warns"; then
    not_ok "daemon a logged warnings: $(head -3 "$TMP/warns")"
else
    ok "no unexpected warnings or errors in the log"
fi

# --- ?format=svg: pictures of a mapping and of a budget sweep (issue #5) ------------------------
daemon_start p --workers 1
req p POST '/v1/map?format=svg' "$MAP_R50"
if [ "$code" = 200 ] && [ "$(header Content-Type)" = image/svg+xml ] && head -c 5 "$TMP/body" | grep -q '^<?xml' &&
    tail -1 "$TMP/body" | grep -q '^</svg>$'; then ok "POST /v1/map?format=svg answers image/svg+xml"; else not_ok "map format=svg ($code, $(header Content-Type))"; fi
nbands=$(grep -o 'class="group"' "$TMP/body" | wc -l)
req p POST /v1/map "$MAP_R50"
ngroups=$(grep -o '"micro_batch":' "$TMP/body" | wc -l)
[ "$nbands" -gt 0 ] && [ "$nbands" -eq "$ngroups" ] && ok "the picture has one band per group of the JSON answer ($ngroups)" \
    || not_ok "svg bands $nbands vs $ngroups groups"
req p POST '/v1/map?format=svg' "$MAP_R50"
if grep -q 'id="budget"' "$TMP/body" && grep -q 'speedup' "$TMP/body" && grep -q 'exact mapping' "$TMP/body"; then
    ok "the map picture has the budget line and the gain"; else not_ok "map picture content"; fi
req p POST '/v1/map?format=json' "$MAP_R50"
expect 200 "format=json is the JSON reply" '"groups":\['
req p POST '/v1/map?format=png' "$MAP_R50"
problem 400 invalid-request "an unknown format is a 400" '"detail":"query parameter format must be json or svg'
req p POST '/v1/map?format=svg' '{"workload":"resnet50","budget":"1KiB"}'
problem 422 budget-too-small "format=svg errors stay problem details" '"need_bytes":'
req p POST '/v1/map?format=svg' '{"workload":{"name":"<script>x</script>","layers":[{"name":"a<&>\"","type":"conv","K":8,"C":3,"Y":16,"X":16,"R":3,"S":3,"pad":1}]},"solver":"exact"}'
if [ "$code" = 200 ] && ! grep -q '<script' "$TMP/body" && grep -q '&lt;script&gt;x' "$TMP/body" && grep -q 'a&lt;&amp;&gt;&quot;' "$TMP/body"; then
    ok "hostile workload and layer names come out escaped"; else not_ok "svg escaping ($code)"; fi
SWEEP='{"base":{"workload":"resnet18","batch":2,"hardware":"edge","solver":"transformer"},"grid":{"budgets":["8KiB","128KiB","512KiB","2MiB","8MiB"]}}'
req p POST '/v1/map/batch?format=svg' "$SWEEP"
if [ "$code" = 200 ] && [ "$(header Content-Type)" = image/svg+xml ] && tail -1 "$TMP/body" | grep -q '^</svg>$'; then
    ok "POST /v1/map/batch?format=svg answers the sweep picture"; else not_ok "batch format=svg ($code)"; fi
# solver transformer: layer-by-layer, the optimum and the transformer, in 2 panels
if [ "$(grep -o 'class="series"' "$TMP/body" | wc -l)" -eq 6 ] && grep -q 'optimum (exact)' "$TMP/body" &&
    grep -q '>transformer<' "$TMP/body" && grep -q 'no feasible mapping' "$TMP/body" && grep -q '1 budget failed' "$TMP/body"; then
    ok "the sweep picture: 3 series, the 8 KiB budget (too small) a shaded gap"; else not_ok "sweep picture content"; fi
req p POST '/v1/map/batch?format=svg' '{"requests":[{"workload":"resnet18"}]}'
problem 400 invalid-request "format=svg needs base + grid" '"pointer":"/requests"'
req p POST '/v1/map/batch?format=svg' '{"base":{"workload":"resnet18"},"grid":{"budgets":["1MiB"],"hardware":["edge","cloud"]}}'
problem 400 invalid-request "format=svg draws one hardware point" '"pointer":"/grid/hardware"'
req p POST '/v1/map/batch' "$SWEEP"
expect 200 "the same sweep as JSON" '"results":\[' '"index":4'
daemon_signal p TERM
daemon_wait p 20
[ "$rc" -eq 0 ] && ok "daemon p exits 0 on SIGTERM" || not_ok "daemon p exit status $rc"
# --- ONNX models: an application/onnx body (fields in the query string) or base64 in "onnx" ----------
FIX="$HERE/../fixtures/onnx"
# req_onnx NAME PATH FILE: POST FILE as application/onnx; sets $code and $TMP/body like req
req_onnx() {
    code=$(curl -sS --max-time 30 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -H 'Content-Type: application/onnx' \
        --data-binary "@$3" "http://127.0.0.1:${DPORT[$1]}$2" 2>"$TMP/curl.err") || code="curl-failed-$?"
}
metrics_of() { grep -o '"metrics":{[^}]*}' "$TMP/body"; }
daemon_start o --workers 1
req_onnx o '/v1/map?hardware=edge&budget=512KiB&batch=8&format=svg' "$FIX/resnet18.onnx"
[ "$code" = 200 ] && grep -q '<svg' "$TMP/body" && grep -qi '^Content-Type: image/svg+xml' "$TMP/headers" \
    && ok "an ONNX upload with ?format=svg answers the picture of its mapping" || not_ok "onnx + format=svg: $code $(head -c 160 "$TMP/body")"
req_onnx o '/v1/map?hardware=edge&budget=512KiB&batch=8&objective=latency&solver=exact' "$FIX/resnet18.onnx"
expect 200 "POST /v1/map with an application/onnx body (resnet18 exported without parameters)" \
    '"workload":\{"name":"onnx","layers":31,"macs":1814073344\}' '"batch":8' '"solver":"exact"' '"feasible":true'
contract MapReply "the application/onnx map reply"
onnx_metrics=$(metrics_of)
req o POST /v1/map '{"workload":"resnet18","hardware":"edge","budget":"512KiB","batch":8,"objective":"latency","solver":"exact"}'
[ -n "$onnx_metrics" ] && [ "$(metrics_of)" = "$onnx_metrics" ] && ok "the imported resnet18 gets the zoo's answer (same metrics)" \
    || not_ok "resnet18.onnx and zoo resnet18 metrics differ"
printf '{"onnx":"%s","hardware":"edge","budget":"1MiB","batch":4,"solver":"exact"}' "$(base64 -w0 "$FIX/googlenet.onnx")" >"$TMP/b64.json"
req o POST /v1/map "@$TMP/b64.json"
expect 200 'POST /v1/map with the model as base64 in "onnx" (googlenet)' '"layers":81,"macs":1498376192' '"batch":4'
req_onnx o /v1/map "$FIX/mobilenet_v2.onnx"
expect 200 "an application/onnx body with no query takes the defaults (auto, batch 1)" \
    '"macs":300774272' '"solver":"auto"' '"batch":1'
req_onnx o /v1/map "$FIX/unsupported.onnx"
problem 422 invalid-workload "an unsupported ONNX operator is a 422 naming op, node and index" "node 1 '/up/DepthToSpace' \\(DepthToSpace\\): unsupported operator DepthToSpace"
head -c 3000 "$FIX/resnet18.onnx" >"$TMP/cut.onnx"
req_onnx o /v1/map "$TMP/cut.onnx"
problem 422 invalid-workload "a truncated ONNX body is a 422" 'not a valid ONNX model'
printf '\211PNG\r\n\032\n' >"$TMP/picture.png"
req_onnx o /v1/map "$TMP/picture.png"
problem 422 invalid-workload "a PNG as an application/onnx body is 'not an ONNX model', not a protobuf field error" 'not an ONNX model'
req o POST /v1/map/batch '{"base":{"workload":"resnet18","batch":"two"},"grid":{"budgets":["1MiB","2MiB"]}}'
problem 400 invalid-request "a batch whose base is invalid fails the whole call (not 200 with a problem per point)" '"pointer":"/base/batch"'
req_onnx o '/v1/map?batch=eight' "$FIX/resnet18.onnx"
problem 400 invalid-request "a non-integer batch in the query is a 400" 'query parameter batch must be an integer'
req_onnx o '/v1/map?buget=1MiB' "$FIX/resnet18.onnx"
problem 400 invalid-request "an unknown query parameter is a 400" 'unknown field \\"buget\\"'
req_onnx o '/v1/map?batch=100000' "$FIX/resnet18.onnx"
problem 422 invalid-parameter "a query batch out of range is a 422 with the JSON field's checks" 'batch = 100000 out of range' '"pointer":"/batch"'
req_onnx o /v1/evaluate "$FIX/resnet18.onnx"
problem 415 unsupported-media-type "application/onnx is refused on other routes (415)" 'application/onnx on /v1/map'
req o POST /v1/map '{"onnx":"not base64!","budget":"1MiB"}'
problem 422 invalid-workload "invalid base64 in onnx is a 422 pointing at it" 'invalid base64' '"pointer":"/onnx"'
req o POST /v1/map '{"onnx":"Zm9v","workload":"resnet18"}'
problem 400 invalid-request "workload and onnx together is a 400" 'give the workload once'
req o GET /healthz
expect 200 "the daemon is healthy after the ONNX requests"
daemon_signal o TERM
daemon_wait o 20
[ "$rc" -eq 0 ] && ok "daemon o exits 0 on SIGTERM" || not_ok "daemon o exit status $rc"

finish daemon
