#!/usr/bin/env bash
# test_answer_json.sh - one answer, whichever door (issue 11): for every zoo network and every solver,
# `dnnfuser map --json` prints exactly the JSON that POST /v1/map answers for the same request, and
# both validate against the MapReply schema of api/openapi.yaml (tests/tools/jsontool). Masked as volatile, and only those: the "timings" object (queue_ms, solve_ms,
# check_ms, total_ms, inference_ms: wall-clock measurements); the key set of timings is still
# compared. `dnnfuser eval --json` against POST /v1/evaluate the same way. Also: the same request twice with candidates > 1 gives the same answer (the sampling seed
# is derived from the request), on the daemon and on the CLI.
# Usage: BUILD=build bash tests/integration/test_answer_json.sh   (about 20 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
API="$HERE/../../api/openapi.yaml"
CLI=$BUILD/dnnfuser
[ -x "$CLI" ] || { echo "answer_json: $CLI not found (run make first)" >&2; exit 1; }
JT=$BUILD/tools/jsontool
[ -x "$JT" ] || { echo "answer_json: $JT not found (make unit-bins)" >&2; exit 1; }

# same A.json B.json: equal once the timings' values are masked; prints the first difference
same() { "$JT" same "$1" "$2" timings; }

daemon_start a --workers 2
zoo=$("$CLI" zoo --json | "$JT" pluck name | tr '\n' ' ')
[ "$(echo "$zoo" | wc -w)" -ge 7 ] && ok "the zoo lists $(echo "$zoo" | wc -w) networks" || not_ok "zoo list: $zoo"
for w in $zoo; do
    # the workload JSON of every zoo network (what a client may post back) is a valid Workload
    "$CLI" zoo "$w" --json >"$TMP/wl.json"
    if v=$("$JT" schema "$API" Workload "$TMP/wl.json"); then ok "$w: zoo --json validates against Workload"
    else not_ok "$w: zoo --json: $(echo "$v" | head -3 | tr '\n' ' ')"; fi
    for s in auto exact ga lbl transformer; do
        args=(-w "$w" --hw edge --buffer 1MiB --batch 4 --solver "$s")
        body="{\"workload\":\"$w\",\"hardware\":\"edge\",\"budget\":1048576,\"batch\":4,\"solver\":\"$s\""
        if [ "$s" = ga ]; then
            args+=(--population 12 --generations 8 --seed 3)
            body="$body,\"ga\":{\"population\":12,\"generations\":8,\"seed\":3}"
        fi
        body="$body}"
        rc=0
        "$CLI" map "${args[@]}" --json >"$TMP/cli.json" 2>"$TMP/cli.err" || rc=$?
        req a POST /v1/map "$body"
        cp "$TMP/body" "$TMP/daemon.json"
        if [ "$rc" -ne 0 ] || [ "$code" != 200 ]; then
            not_ok "$w $s: cli exit $rc ($(head -c 200 "$TMP/cli.err")), daemon $code ($(head -c 200 "$TMP/body"))"
            continue
        fi
        if d=$(same "$TMP/cli.json" "$TMP/daemon.json"); then
            ok "$w $s: map --json = POST /v1/map (timings masked)"
        else
            not_ok "$w $s: map --json and POST /v1/map differ at $d"
        fi
        if v=$("$JT" schema "$API" MapReply "$TMP/cli.json" "$TMP/daemon.json"); then
            ok "$w $s: both validate against MapReply"
        else
            not_ok "$w $s: schema: $(echo "$v" | head -3 | tr '\n' ' ')"
        fi
    done
done

# eval: `dnnfuser eval --json` prints exactly what POST /v1/evaluate answers for the same request
# (issue 11 item 7): every zoo network, the groups of its map answer, at the budget it was solved for
# (feasible) and at 64 KiB (over the budget: feasible false, overflow named, no gain)
for w in $zoo; do
    req a POST /v1/map "{\"workload\":\"$w\",\"hardware\":\"edge\",\"budget\":1048576,\"batch\":4,\"solver\":\"exact\"}"
    groups=$(grep -o '"groups":\[[^]]*\]' "$TMP/body" | head -1)
    for budget in 1048576 65536; do
        echo "{\"workload\":\"$w\",\"hardware\":\"edge\",\"budget\":$budget,\"batch\":4,${groups}}" >"$TMP/eval.json"
        rc=0
        "$CLI" eval --json "$TMP/eval.json" >"$TMP/cli.json" 2>"$TMP/cli.err" || rc=$?
        req a POST /v1/evaluate "@$TMP/eval.json"
        cp "$TMP/body" "$TMP/daemon.json"
        want=0
        [ "$budget" = 65536 ] && want=1
        if [ "$rc" -ne "$want" ] || [ "$code" != 200 ]; then
            not_ok "eval $w $budget: cli exit $rc (want $want; $(head -c 200 "$TMP/cli.err")), daemon $code"
        elif d=$(same "$TMP/cli.json" "$TMP/daemon.json") && v=$("$JT" schema "$API" EvaluateReply "$TMP/cli.json"); then
            ok "eval $w budget $budget: eval --json = POST /v1/evaluate, valid EvaluateReply (exit $rc)"
        else
            not_ok "eval $w $budget: eval --json and POST /v1/evaluate differ at ${d:-?} ${v:-}"
        fi
    done
done

# depth-first space (issue 14): tiled answers, and one where only tiles fit (baseline null), from both
# doors, identical and valid
for args in "resnet18 1 256KiB energy" "fsrcnn 1 64KiB energy" "mobilenetv2 2 512KiB latency"; do
    set -- $args
    "$CLI" map -w "$1" --batch "$2" --buffer "$3" --objective "$4" --space depth_first --json >"$TMP/cli.json"
    req a POST /v1/map "{\"workload\":\"$1\",\"batch\":$2,\"budget\":\"$3\",\"objective\":\"$4\",\"space\":\"depth_first\"}"
    cp "$TMP/body" "$TMP/daemon.json"
    if d=$(same "$TMP/cli.json" "$TMP/daemon.json") && v=$("$JT" schema "$API" MapReply "$TMP/cli.json" "$TMP/daemon.json"); then
        ok "$1 batch $2 $3 depth_first: map --json = POST /v1/map, both valid MapReply"
    else not_ok "$1 $3 depth_first: ${d:-} $(echo "${v:-}" | head -2 | tr '\n' ' ')"; fi
done

# auto choosing the transformer (large exact work): still the same JSON from both doors
for args in "bert_base 8 2MiB" "efficientnet_b0 32 16MiB"; do
    set -- $args
    "$CLI" map -w "$1" --batch "$2" --buffer "$3" --json >"$TMP/cli.json"
    req a POST /v1/map "{\"workload\":\"$1\",\"batch\":$2,\"budget\":\"$3\"}"
    cp "$TMP/body" "$TMP/daemon.json"
    if grep -q '"note": "auto: transformer' "$TMP/cli.json" && d=$(same "$TMP/cli.json" "$TMP/daemon.json"); then
        ok "$1 batch $2 $3: auto picks the transformer, and map --json = POST /v1/map"
    else not_ok "$1 batch $2 $3 auto: ${d:-not the transformer path} $(grep -o '"note": "[^"]*' "$TMP/cli.json")"; fi
done

# monotone sweeps on the daemon: within a budget grid, a larger budget never answers worse (every zoo
# network, the default solver and the transformer; resnet50 batch 8 edge was 4 MiB 292.083 ms ->
# 8 MiB 293.887 ms before)
for w in $zoo; do
    for s in auto transformer; do
        req a POST /v1/map/batch "{\"base\":{\"workload\":\"$w\",\"batch\":8,\"hardware\":\"edge\",\"solver\":\"$s\"},\"grid\":{\"budgets\":[\"16MiB\",\"256KiB\",\"512KiB\",\"1MiB\",\"2MiB\",\"4MiB\",\"8MiB\"]}}"
        if r=$("$JT" monotone "$TMP/body"); then
            ok "$w $s: the sweep is monotone over budgets (answers, carried: $r)"
        else not_ok "$w $s: sweep not monotone: $r"; fi
    done
done

# the same request twice with sampled candidates: the same answer (seed derived from the request)
body='{"workload":"mobilenetv2","budget":"256KiB","batch":8,"solver":"transformer","candidates":8}'
req a POST /v1/map "$body"
cp "$TMP/body" "$TMP/r1.json"
req a POST /v1/map "$body"
cp "$TMP/body" "$TMP/r2.json"
"$CLI" map -w mobilenetv2 --buffer 256KiB --batch 8 --solver transformer --candidates 8 --json >"$TMP/c1.json"
if [ "$code" = 200 ] && same "$TMP/r1.json" "$TMP/r2.json" >/dev/null; then
    ok "candidates 8: the same request twice gets the same answer"; else not_ok "candidates 8: two answers differ"; fi
if same "$TMP/r1.json" "$TMP/c1.json" >/dev/null; then
    ok "candidates 8: the CLI samples the same candidates as the daemon"; else not_ok "candidates 8: CLI and daemon differ: $(same "$TMP/r1.json" "$TMP/c1.json")"; fi
req a POST /v1/map '{"workload":"mobilenetv2","budget":"256KiB","batch":8,"solver":"transformer","candidates":8,"seed":7}'
has '"feasible":true' && ok "an explicit seed is taken" || not_ok "seed 7: $code"

# depth-first (issue 14): map --json = POST /v1/map with "space": "depth_first" (tiles in the groups);
# a depth-first budget grid on /v1/map/batch validates against BatchReply and carries, per point, the
# same tiled groups (first-last:rows x cols:overlap) as `dnnfuser sweep --space depth_first`'s tiles
"$CLI" map -w resnet18 --buffer 256KiB --space depth_first --json >"$TMP/cli.json"
req a POST /v1/map '{"workload":"resnet18","budget":"256KiB","space":"depth_first"}'
if [ "$code" = 200 ] && d=$(same "$TMP/cli.json" "$TMP/body") && grep -q '"overlap"' "$TMP/body" &&
    "$JT" schema "$API" MapReply "$TMP/cli.json" "$TMP/body" >/dev/null; then
    ok "depth-first: map --json = POST /v1/map, tiles in the groups, MapReply valid"
else not_ok "depth-first map: $code ${d:-}"; fi
req a POST /v1/map/batch '{"base":{"workload":"resnet18","space":"depth_first"},"grid":{"budgets":["64KiB","256KiB","2MiB"]}}'
cp "$TMP/body" "$TMP/batch_df.json"
# the tiled groups of each result, one line per result (compact or indented JSON alike)
tr -d ' \n' <"$TMP/batch_df.json" | sed 's/^{"results":\[//; s/},{"feasible"/}\n{"feasible"/g' |
    grep -o '"first":[0-9]*,"last":[0-9]*,"micro_batch":[0-9]*,"tile":{"rows":[0-9]*,"cols":[0-9]*},"overlap":"[a-z_]*"[^}]*"tiles":[0-9]*\|^{"feasible"' |
    awk -F'[:,{}"]+' '/^{"feasible"/ { if (n++) print line; line = ""; next }
        { t = $NF; if (t > 1) line = line (line == "" ? "" : " ") $3 "-" $5 ":" $10 "x" $12 ":" $14 } END { print line }' >"$TMP/daemon_tiles"
"$CLI" sweep -w resnet18 --budgets 64KiB,256KiB,2MiB --space depth_first | awk -F, 'NR > 1 { print $25 }' >"$TMP/cli_tiles"
if [ "$code" = 200 ] && "$JT" schema "$API" BatchReply "$TMP/batch_df.json" >/dev/null && [ "$(wc -l <"$TMP/cli_tiles")" = 3 ] &&
    grep -q . "$TMP/cli_tiles" && cmp -s "$TMP/daemon_tiles" "$TMP/cli_tiles"; then
    ok "depth-first: /v1/map/batch carries each point's tiles, as the sweep CSV ($(grep -c : "$TMP/cli_tiles") points tiled)"
else not_ok "depth-first batch: $code, daemon '$(tr '\n' '|' <"$TMP/daemon_tiles")' cli '$(tr '\n' '|' <"$TMP/cli_tiles")'"; fi

daemon_signal a TERM
daemon_wait a 20
finish answer_json
