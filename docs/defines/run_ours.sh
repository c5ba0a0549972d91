#!/usr/bin/env bash
# run_ours.sh - dnnfuser's half of the DeFiNES side by side (issue 14 item 6): for every (workload,
# hardware) pair of defines_results.csv, the same workload JSON (wl_*.json) and hardware JSON
# (hw_*.json) through build/dnnfuser:
#   lbl                 dnnfuser map --solver lbl --objective energy --json
#   batch_exact         dnnfuser map --solver exact --objective energy --json (batch-only map-space)
#   df_exact_<obj>      dnnfuser map --solver exact --space depth_first --objective energy|latency --json
#                       (the exact optimum over the depth-first map-space)
#   df(x,y,mode)        every fixed schedule DeFiNES ran: dnnfuser eval --json of a mapping whose groups
#                       are DeFiNES's stacks (its stack_cuts column) with tile rows = y, cols = x of each
#                       stack's last output and the same overlap mode; df(W,H,...) with W x H >= the
#                       output is the whole tensor
# Writes CSV (default docs/defines/ours_results.csv). solve_ms: the solver alone (the reply's
# timings.solve_ms), median of REPS (5) runs; wall_ms: the
# whole process (load, solve, check, JSON), median of the same runs; eval rows have no solve.
# Every point is run at each budget of BUDGETS (bytes; the budget_bytes column).
# Dev-time tool (needs jq); make test never runs it. Usage: docs/defines/run_ours.sh [OUT.csv]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-docs/defines/ours_results.csv}
REPS=${REPS:-5}
# budgets: 2 MiB = the hardware files' buffer (DeFiNES's two 1 MiB top memories, weights + activations);
# 1 MiB = its activation memory alone (the closer model where the weights are small, as in FSRCNN)
BUDGETS=${BUDGETS:-2097152 1048576}
BIN=build/dnnfuser
D=docs/defines
command -v jq >/dev/null || { echo "run_ours.sh: needs jq (apt-get install jq)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "run_ours.sh: build first: make all" >&2; exit 2; }
TMP=$(mktemp -d /tmp/run_ours.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# row WL HW SCHEDULE OBJECTIVE REPLY.json SOLVE_MS WALL_MS (the budget is $BUDGET)
row() {
    local f=$5
    local m
    m=$(jq -r '[.groups[] | "\(.first)-\(.last):" + (if .tiles > 1 then "\(.tile.rows)x\(.tile.cols)/\(.overlap)" else "whole" end)] | join(" ")' "$f")
    jq -r --arg wl "$1" --arg hw "$2" --arg b "$BUDGET" --arg s "$3" --arg o "$4" --arg sm "$6" --arg wm "$7" --arg m "$m" \
        '[$wl, $hw, ($b | tonumber), $s, $o, (.metrics.feasible | tostring), .metrics.energy_pj, .metrics.latency_cycles,
          .metrics.dram_bytes, .metrics.peak_buffer_bytes, $sm, $wm, ($m)] | @csv' "$f" >> "$OUT"
}

# map_point WL HW SCHEDULE SOLVER OBJECTIVE SPACE
map_point() {
    local wl=$1 hw=$2 s=$3 solver=$4 obj=$5 space=$6 solves=() walls=()
    for ((r = 0; r < REPS; r++)); do
        local t0; t0=$(now_ms)
        "$BIN" map -w "$D/wl_$wl.json" --hw "$D/hw_$hw.json" --buffer "$BUDGET" --solver "$solver" --space "$space" --objective "$obj" --json > "$TMP/r.json" || true
        walls+=($(( $(now_ms) - t0 )))
        solves+=("$(jq -r '.timings.solve_ms' "$TMP/r.json")")
    done
    row "$wl" "$hw" "$s" "$obj" "$TMP/r.json" "$(printf '%s\n' "${solves[@]}" | median)" "$(printf '%s\n' "${walls[@]}" | median)"
}

# fixed WL HW SCHEDULE TILEX TILEY MODE "CUTS": DeFiNES's stacks with its tile and mode, through eval
fixed() {
    local wl=$1 hw=$2 s=$3 tx=$4 ty=$5 mode=$6 cuts=$7 walls=()
    local ov; ov=$(case $mode in 1) echo recompute ;; 2) echo cache_rows ;; *) echo cache_all ;; esac)
    # DeFiNES layer ids (lN) -> our indices; a stack ends after each cut and at the last layer
    jq --argjson tx "$tx" --argjson ty "$ty" --arg ov "$ov" --arg cuts "$cuts" --argjson budget "$BUDGET" --slurpfile hw "$D/hw_$hw.json" '
        (.layers | length) as $n
        | [.layers | to_entries[] | select(.value.name | test("^l[0-9]+$")) | {key: (.value.name[1:]), value: .key}]
          | from_entries as $idx
        | ([($cuts | split(" ") | map(select(. != "")) | .[] | $idx[.]), $n - 1] | unique) as $ends
        | {hardware: ($hw[0] + {buffer: $budget}), batch: 1, objective: "energy",
           groups: [range(0; $ends | length) as $g
                    | {first: (if $g == 0 then 0 else $ends[$g - 1] + 1 end), last: $ends[$g], micro_batch: 1,
                       tile: {rows: $ty, cols: $tx}, overlap: $ov}]}' "$D/wl_$wl.json" > "$TMP/f.json"
    for ((r = 0; r < REPS; r++)); do
        local t0; t0=$(now_ms)
        "$BIN" eval -w "$D/wl_$wl.json" --json "$TMP/f.json" > "$TMP/r.json" 2> /dev/null || true
        walls+=($(( $(now_ms) - t0 )))
    done
    row "$wl" "$hw" "$s" "energy" "$TMP/r.json" "" "$(printf '%s\n' "${walls[@]}" | median)"
}

echo "workload,hardware,budget_bytes,schedule,objective,feasible,energy_pj,latency_cycles,dram_bytes,peak_buffer_bytes,solve_ms,wall_ms,mapping" > "$OUT"
# the (workload, hardware) pairs DeFiNES ran, in its CSV's order
for BUDGET in $BUDGETS; do
tail -n +2 "$D/defines_results.csv" | cut -d, -f1,2 | awk '!seen[$0]++' | while IFS=, read -r wl hw; do
    echo "== $wl on $hw, budget $BUDGET" >&2
    map_point "$wl" "$hw" lbl lbl energy batch
    map_point "$wl" "$hw" batch_exact exact energy batch
    map_point "$wl" "$hw" df_exact_energy exact energy depth_first
    map_point "$wl" "$hw" df_exact_latency exact latency depth_first
    # DeFiNES's fixed schedules for this pair: schedule,tilex,tiley,mode,stack_cuts
    jq -Rr --arg wl "$wl" --arg hw "$hw" 'select(startswith($wl + "," + $hw + ",\"df("))' "$D/defines_results.csv" |
        awk -F, '{ s = $3 "," $4 "," $5; gsub(/"/, "", s); c = $NF; gsub(/"/, "", c); print s "|" $(NF-3) "|" $(NF-2) "|" $(NF-1) "|" c }' |
        while IFS='|' read -r s tx ty mode cuts; do
            fixed "$wl" "$hw" "$s" "$tx" "$ty" "$mode" "$cuts"
        done
done
done
echo "wrote $OUT" >&2
