#!/usr/bin/env bash
# test_weights_space.sh - the transformer and the map-space of its weights (issue 18): weights decode
# the space their action layout covers (batch layout: "space": "batch"; depth-first layout:
# "space": "depth_first"); a transformer request of the other space is answered by the exact solver of
# the request's space (path exact-fallback) with a note naming the weights' space, and
# `dnnfuser map --weights FILE --json` prints the same answer as a daemon started with --weights FILE.
# The depth-first weights are trained here by a tiny run of dnnfuser-train (about 5 s; nothing is
# kept). Usage: BUILD=build bash tests/integration/test_weights_space.sh   (about 15 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
API="$HERE/../../api/openapi.yaml"
CLI=$BUILD/dnnfuser
TRAIN=$BUILD/dnnfuser-train
JT=$BUILD/tools/jsontool
for x in "$CLI" "$TRAIN" "$JT"; do
    [ -x "$x" ] || { echo "weights_space: $x not found (make all unit-bins)" >&2; exit 1; }
done

if "$TRAIN" --space depth_first --samples 16 --steps 20 --batch 4 --d 16 --layers 1 --heads 2 --eval 1 \
    --threads 1 --out "$TMP/df.weights" >"$TMP/train.log" 2>&1 && grep -q 'depth_first layout' "$TMP/train.log"; then
    ok "a tiny depth-first training run writes weights in the depth-first layout"
else
    not_ok "dnnfuser-train --space depth_first: $(tail -c 300 "$TMP/train.log")"
fi

daemon_start d --weights "$TMP/df.weights"
daemon_start s
req d GET /v1/info
[ "$code" = 200 ] && has '"loaded":true' && has '"space":"depth_first"' &&
    ok "/v1/info: the depth-first weights are loaded, weights.space depth_first" || not_ok "/v1/info $code"
req s GET /v1/info
[ "$code" = 200 ] && has '"space":"batch"' && ok "/v1/info: the shipped weights decode the batch space" ||
    not_ok "/v1/info (shipped) $code"

# one DAEMON SPACE WEIGHTS(CLI, "" = shipped) PATH_REGEX NOTE(regex or "-" = must not mention another
# space): POST /v1/map and map --json of resnet18 at 256 KiB (energy, where tiles pay), transformer
one() {
    local d=$1 space=$2 weights=$3 path=$4 note=$5 rc=0
    local -a wa=()
    [ -n "$weights" ] && wa=(--weights "$weights")
    req "$d" POST /v1/map "{\"workload\":\"resnet18\",\"budget\":\"256KiB\",\"objective\":\"energy\",\"space\":\"$space\",\"solver\":\"transformer\"}"
    cp "$TMP/body" "$TMP/daemon.json"
    local desc="daemon $d, space $space, transformer"
    if [ "$code" = 200 ] && has "\"space\":\"$space\"" && has "\"path\":\"$path\"" &&
        { if [ "$note" = - ]; then ! has 'weights decode'; else has "\"note\":\"[^\"]*$note"; fi; }; then
        ok "$desc: 200, path $(grep -Eo '"path":"[^"]*"' "$TMP/body")"
    else
        not_ok "$desc: $code $(head -c 400 "$TMP/body")"
    fi
    "$CLI" map -w resnet18 --buffer 256KiB --objective energy --space "$space" --solver transformer "${wa[@]}" --json \
        >"$TMP/cli.json" 2>"$TMP/cli.err" || rc=$?
    if [ "$rc" -eq 0 ] && dd=$("$JT" same "$TMP/cli.json" "$TMP/daemon.json" timings) &&
        "$JT" schema "$API" MapReply "$TMP/cli.json" >/dev/null; then
        ok "$desc: map ${wa[*]} --json = POST /v1/map, a valid MapReply"
    else
        not_ok "$desc: cli exit $rc ($(head -c 200 "$TMP/cli.err")) ${dd:-}"
    fi
}
one d batch "$TMP/df.weights" exact-fallback 'weights decode the depth_first space, not batch; solved exactly'
one d depth_first "$TMP/df.weights" '(transformer|repaired|exact-fallback)' -
# the check before reply holds a depth-first decode to the batch-only optimum as well as to
# layer-by-layer (the space holds both): the tiny model's answer is no worse than either
energy_of() { grep -o '"metrics":{[^}]*}' "$1" | head -1 | grep -o '"energy_pj":[0-9.e+-]*' | cut -d: -f2; }
e_df=$(energy_of "$TMP/daemon.json")
e_lbl=$(grep -o '"baseline":{"metrics":{[^}]*}' "$TMP/daemon.json" | grep -o '"energy_pj":[0-9.e+-]*' | cut -d: -f2)
req s POST /v1/map '{"workload":"resnet18","budget":"256KiB","objective":"energy","solver":"exact"}'
e_bx=$(energy_of "$TMP/body")
if [ -n "$e_df" ] && [ -n "$e_lbl" ] && [ -n "$e_bx" ] &&
    awk -v d="$e_df" -v l="$e_lbl" -v b="$e_bx" 'BEGIN { exit !(d <= l * (1 + 1e-9) && d <= b * (1 + 1e-9)) }'; then
    ok "depth-first transformer answer $e_df pJ: no worse than layer-by-layer ($e_lbl) and the batch optimum ($e_bx)"
else
    not_ok "depth-first transformer answer ${e_df:-?} pJ, layer-by-layer ${e_lbl:-?}, batch optimum ${e_bx:-?}"
fi
one s depth_first "" exact-fallback 'weights decode the batch space, not depth_first; solved exactly'
one s batch "" '(transformer|repaired|exact-fallback)' -

# sweep --compare transformer draws a batch-space series: depth-first weights are refused by name
rc=0
"$CLI" sweep -w resnet18 --budgets 256KiB,1MiB --compare transformer --svg "$TMP/s.svg" --weights "$TMP/df.weights" \
    >/dev/null 2>"$TMP/sweep.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'weights decode the depth_first space, not batch' "$TMP/sweep.err" &&
    ok "sweep --compare transformer with depth-first weights: exit 2, says why" ||
    not_ok "sweep --compare transformer: exit $rc $(head -c 200 "$TMP/sweep.err")"

# lbl knows no tiles: still refused with the depth-first space
req s POST /v1/map '{"workload":"resnet18","space":"depth_first","solver":"lbl"}'
[ "$code" = 422 ] && has 'space depth_first applies to the exact, ga, transformer and auto solvers, not to lbl' &&
    ok "space depth_first with lbl: 422" || not_ok "lbl depth_first: $code $(head -c 300 "$TMP/body")"

daemon_stop_ok d s
finish weights-space
