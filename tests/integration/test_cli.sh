#!/usr/bin/env bash
# test_cli.sh - integration tests of the `dnnfuser` command line: map (human and --json), the eval
# round trip, the error paths (exit 2 with one "dnnfuser: ..." line), eval of an infeasible mapping
# (exit 1), zoo, layers, sweep, the --svg pictures of map and sweep (well-formed, one band per group,
# escaped names, same bytes twice), and exact never worse than layer-by-layer. Needs only bash and
# coreutils/grep/sed/awk (no Python). Usage: BUILD=build bash tests/integration/test_cli.sh
set -euo pipefail

BUILD=${BUILD:-build}
BIN=$BUILD/dnnfuser
if [ ! -x "$BIN" ]; then
    echo "cli: $BIN not found (run make first)" >&2
    exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() {
    echo "not ok - $1"
    fail=$((fail + 1))
    if [ -s "$TMP/err" ]; then sed 's/^/#   stderr: /' "$TMP/err" | head -5; fi
}

# run CMD...: runs the binary, stdout in $TMP/out, stderr in $TMP/err, status in $rc.
run() {
    rc=0
    "$BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
}

# expect_ok DESC CMD...: exit 0 and no stderr.
expect_ok() {
    local desc=$1
    shift
    run "$@"
    if [ "$rc" -eq 0 ]; then ok "$desc"; else not_ok "$desc (exit $rc)"; fi
}

# expect_err CODE REGEX DESC CMD...: exit CODE, stderr is exactly one line "dnnfuser: ..." matching REGEX.
expect_err() {
    local code=$1 re=$2 desc=$3
    shift 3
    run "$@"
    local lines
    lines=$(wc -l <"$TMP/err")
    if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] && grep -q '^dnnfuser: ' "$TMP/err" && grep -Eq -- "$re" "$TMP/err"; then
        ok "$desc"
    else
        not_ok "$desc (exit $rc, $lines stderr lines, want exit $code matching /$re/)"
    fi
}

# metric NAME FILE: the number after NAME in a human report ("latency 123 cycles ...").
metric() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }

# --- version and help -------------------------------------------------------------------------
run --version
if [ "$rc" -eq 0 ] && grep -Eq '^dnnfuser [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out"; then ok "--version"; else not_ok "--version"; fi
run --help
if [ "$rc" -eq 0 ] && grep -q 'map' "$TMP/out" && grep -q 'sweep' "$TMP/out"; then ok "--help lists commands"; else not_ok "--help"; fi
for c in map eval zoo layers sweep; do
    run "$c" --help
    if [ "$rc" -eq 0 ] && grep -q "usage: dnnfuser $c" "$TMP/out"; then ok "$c --help"; else not_ok "$c --help"; fi
done

# --- map, human -------------------------------------------------------------------------------
expect_ok "map resnet50 edge 512KiB batch 8" map -w resnet50 --hw edge --buffer 512KiB --batch 8
cp "$TMP/out" "$TMP/map.txt"
if head -1 "$TMP/map.txt" | grep -q 'resnet50' && head -1 "$TMP/map.txt" | grep -q 'budget 512 KiB' &&
    head -1 "$TMP/map.txt" | grep -q 'batch 8'; then ok "map header names workload, budget, batch"; else not_ok "map header"; fi
if grep -q '^ *group ' "$TMP/map.txt" && grep -Eq '(resident|streamed)' "$TMP/map.txt"; then
    ok "map prints the group table"; else not_ok "map group table"; fi
lat=$(metric latency "$TMP/map.txt")
if [ -n "$lat" ] && grep -q '^vs lbl .*x speedup' "$TMP/map.txt" && grep -q '^energy .* uJ' "$TMP/map.txt" &&
    grep -q '^DRAM .* MB' "$TMP/map.txt"; then ok "map prints metrics and the gain over layer-by-layer"; else not_ok "map metrics"; fi
if grep -q '^feasible *yes' "$TMP/map.txt"; then ok "map answer is feasible"; else not_ok "map feasible"; fi

# --- map --json and the eval round trip -------------------------------------------------------
expect_ok "map --json" map -w resnet50 --hw edge --buffer 512KiB --batch 8 --json
cp "$TMP/out" "$TMP/map.json"
missing=""
for k in '"workload"' '"hardware"' '"batch"' '"objective"' '"solver"' '"feasible": true' '"groups"' '"first"' \
    '"last"' '"micro_batch"' '"metrics"' '"latency_cycles"' '"energy_pj"' '"dram_bytes"' '"peak_buffer_bytes"' \
    '"baseline"' '"gain"' '"latency_x"' '"energy_x"' '"dram_x"' '"solve_ms"'; do
    grep -q -- "$k" "$TMP/map.json" || missing="$missing $k"
done
if [ -z "$missing" ]; then ok "map --json has the documented fields"; else not_ok "map --json missing:$missing"; fi
expect_ok "eval of the map --json answer" eval "$TMP/map.json"
elat=$(metric latency "$TMP/out")
if [ -n "$elat" ] && [ "$elat" = "$lat" ]; then ok "eval round trip gives the same latency ($lat cycles)"; else
    not_ok "eval round trip latency: map $lat, eval $elat"; fi
run eval --json "$TMP/map.json"
if [ "$rc" -eq 0 ] && grep -q '"feasible": true' "$TMP/out" && grep -q '"overflow": null' "$TMP/out"; then
    ok "eval --json"; else not_ok "eval --json"; fi

# exact never worse than layer-by-layer (map's own baseline)
blat=$(sed -n 's/.*(layer-by-layer: [0-9]* groups, \([0-9]*\) cycles.*/\1/p' "$TMP/map.txt")
if [ -n "$blat" ] && awk -v a="$lat" -v b="$blat" 'BEGIN { exit !(a <= b) }'; then
    ok "exact ($lat) <= layer-by-layer ($blat) cycles"; else not_ok "exact vs lbl: $lat vs $blat"; fi

# --- solvers and objectives -------------------------------------------------------------------
expect_ok "map --solver ga" map -w resnet18 --batch 4 --solver ga --population 16 --generations 10 --seed 7
glat=$(metric latency "$TMP/out")
run map -w resnet18 --batch 4
xlat=$(metric latency "$TMP/out")
if [ -n "$glat" ] && [ -n "$xlat" ] && awk -v x="$xlat" -v g="$glat" 'BEGIN { exit !(x <= g) }'; then
    ok "exact ($xlat) <= ga ($glat)"; else not_ok "exact vs ga: $xlat vs $glat"; fi
expect_ok "map --solver lbl" map -w mobilenetv2 --solver lbl
for obj in energy edp dram; do
    expect_ok "map --objective $obj" map -w mobilenetv2 --batch 2 --objective "$obj" --pes 32x32 --dataflow os --bw 32
done
# transformer: the shipped weights are linked in; its answer is feasible and never beats exact
run map -w resnet50 --hw edge --buffer 512KiB --batch 8 --solver transformer --candidates 4
if [ "$rc" -eq 0 ] && grep -q '^feasible *yes' "$TMP/out" && grep -q 'solver transformer' "$TMP/out"; then
    t_lat=$(metric latency "$TMP/out")
    run map -w resnet50 --hw edge --buffer 512KiB --batch 8
    e_lat=$(metric latency "$TMP/out")
    if awk -v t="$t_lat" -v e="$e_lat" 'BEGIN { exit !(t >= e && t <= 1.10 * e) }'; then
        ok "--solver transformer: feasible, within 10% of exact ($t_lat vs $e_lat cycles)"
    else not_ok "--solver transformer latency $t_lat vs exact $e_lat"; fi
else not_ok "--solver transformer (exit $rc)"; fi
expect_err 2 'weights' "--weights missing file names the file" map -w resnet18 --solver transformer --weights "$TMP/none.weights"
printf 'DNNFUSR1garbage' >"$TMP/bad.weights"
expect_err 2 'bad.weights' "--weights corrupt file is refused" map -w resnet18 --solver transformer --weights "$TMP/bad.weights"
expect_err 2 'candidates' "--candidates 0 is refused" map -w resnet18 --solver transformer --candidates 0

# --- zoo --------------------------------------------------------------------------------------
expect_ok "zoo" zoo
n=$(tail -n +2 "$TMP/out" | grep -c .)
if [ "$n" -eq 18 ]; then ok "zoo lists 18 networks"; else not_ok "zoo lists $n networks"; fi
run zoo --json
if [ "$rc" -eq 0 ] && [ "$(grep -c '"name"' "$TMP/out")" -eq 18 ] && grep -q '"macs"' "$TMP/out" && grep -q '"layers"' "$TMP/out"; then
    ok "zoo --json"; else not_ok "zoo --json"; fi
expect_ok "zoo resnet18 --json" zoo resnet18 --json
cp "$TMP/out" "$TMP/resnet18.json"
run map -w "$TMP/resnet18.json" --batch 4
flat=$(metric latency "$TMP/out")
if [ "$rc" -eq 0 ] && [ "$flat" = "$xlat" ]; then ok "workload file from zoo --json maps like the zoo name"; else
    not_ok "workload file round trip ($flat vs $xlat)"; fi
run zoo resnet18
nl=$(sed -n 's/^resnet18: \([0-9]*\) layers.*/\1/p' "$TMP/out")
if [ "$rc" -eq 0 ] && [ -n "$nl" ] && [ "$(grep -c ' conv ' "$TMP/out")" -gt 10 ]; then ok "zoo resnet18 shows $nl layers"; else
    not_ok "zoo resnet18"; nl=1; fi

# --- layers -----------------------------------------------------------------------------------
expect_ok "layers resnet18 --json" layers -w resnet18 --hw edge --json
missing=""
for k in index name type K C Y X R S stride pad groups P Q macs compute_cycles utilization noc_w noc_in noc_out; do
    grep -q "\"$k\":" "$TMP/out" || missing="$missing $k"
done
if [ -z "$missing" ]; then ok "layers --json has every key"; else not_ok "layers --json missing:$missing"; fi
if [ "$(grep -c '"index":' "$TMP/out")" -eq "$nl" ]; then ok "layers --json has one object per layer ($nl)"; else
    not_ok "layers --json count"; fi
expect_ok "layers table" layers -w mnasnet --dataflow rs

# --- sweep ------------------------------------------------------------------------------------
expect_ok "sweep over 3 budgets" sweep -w resnet18 --budgets 128KiB,512KiB,2MiB --batch 4
cp "$TMP/out" "$TMP/sweep.csv"
if [ "$(wc -l <"$TMP/sweep.csv")" -eq 4 ]; then ok "sweep gives 4 CSV lines"; else not_ok "sweep lines: $(wc -l <"$TMP/sweep.csv")"; fi
if head -1 "$TMP/sweep.csv" | grep -q '^workload,hw,dataflow,pes,budget_bytes,batch,objective,solver,feasible,groups,latency_cycles,energy_pj,dram_bytes,peak_buffer_bytes,lbl_latency_cycles,lbl_energy_pj,lbl_dram_bytes,speedup,solve_ms'; then
    ok "sweep CSV header"; else not_ok "sweep CSV header"; fi
if [ ! -s "$TMP/err" ]; then ok "sweep: no progress on stderr when not a tty"; else not_ok "sweep wrote to stderr"; fi
if awk -F, 'NR > 1 { if ($9 != 1 || $11 > $15) bad = 1 } END { exit bad }' "$TMP/sweep.csv"; then
    ok "sweep: exact never worse than lbl at every budget"; else not_ok "sweep exact vs lbl"; fi
run sweep -w resnet18 --budgets 64KiB..1MiB:5 --progress
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$TMP/out")" -eq 6 ] && grep -q '^\[5/5\]' "$TMP/err" && grep -q 'ETA' "$TMP/err"; then
    ok "sweep range with steps and --progress"; else not_ok "sweep range/progress"; fi
run sweep -w resnet18 --budgets 1KiB,4MiB
if [ "$rc" -eq 0 ] && awk -F, 'NR == 2 { exit !($9 == 0 && $20 > 1024) }' "$TMP/out" &&
    awk -F, 'NR == 3 { exit !($9 == 1) }' "$TMP/out"; then
    ok "sweep: a too-small budget is a feasible=0 row with need_bytes"; else not_ok "sweep infeasible row"; fi
# depth-first (issue 14): the last columns say the space, how many groups are tiled, the recompute
# factor and each tiled group as FIRST-LAST:ROWSxCOLS:OVERLAP (as many as tiled_groups)
run sweep -w resnet18 --budgets 64KiB,256KiB,2MiB --space depth_first
if [ "$rc" -eq 0 ] && head -1 "$TMP/out" | grep -q ',path,space,tiled_groups,recompute,tiles$' &&
    awk -F, 'NR > 1 { if (NF != 25 || $22 != "depth_first" || $25 !~ /^([0-9]+-[0-9]+:[0-9]+x[0-9]+:(recompute|cache_rows|cache_all)( |$))*$/ ||
                      ($25 == "" ? 0 : split($25, t, " ")) != $23 || $24 < 1) bad = 1; if ($23 > 0) tiled++ }
         END { exit bad || !tiled }' "$TMP/out"; then
    ok "sweep --space depth_first: tiles per group in the CSV"; else not_ok "sweep depth-first CSV"; fi
run sweep -w fsrcnn --budgets 64KiB --space depth_first --objective energy
if [ "$rc" -eq 0 ] && awk -F, 'NR == 2 { exit !(NF == 25 && $9 == 1 && $15 == "" && $22 == "depth_first" && $23 > 0 && $25 ~ /:/) }' "$TMP/out"; then
    ok "sweep: a point only tiles can meet (no layer-by-layer) still has its tiles"; else not_ok "sweep no-baseline tiles row"; fi
run sweep -w resnet18 --budgets 1KiB,256KiB --batch 2
if [ "$rc" -eq 0 ] && awk -F, 'NR > 1 { if (NF != 25 || $22 != "batch" || $23 > 0 || $25 != "") bad = 1 } END { exit bad }' "$TMP/out"; then
    ok "sweep: batch space rows (and a feasible=0 row) keep 25 columns, no tiles"; else not_ok "sweep batch-space tile columns"; fi
run map -w resnet18 --buffer 256KiB --space depth_first
if [ "$rc" -eq 0 ] && grep -Eq '^group +layers .*tile \(tiles\) +overlap +recompute$' "$TMP/out" &&
    grep -Eq '^ +[0-9]+ .* [0-9]+x[0-9]+ \([0-9]+\) +(recompute|cache_rows|cache_all) +\+[0-9.]+%$' "$TMP/out" &&
    grep -Eq '^depth-first +[0-9]+ of [0-9]+ groups tiled, \+[0-9.]+% MACs from recomputed halos$' "$TMP/out"; then
    ok "map --space depth_first: tile, overlap and recompute columns and the summary"; else not_ok "map depth-first table"; fi
run map -w resnet18 --buffer 256KiB --batch 4
if [ "$rc" -eq 0 ] && ! grep -q 'tile (tiles)' "$TMP/out" && ! grep -q '^depth-first' "$TMP/out"; then
    ok "map (batch space): no tile columns"; else not_ok "map batch table has tile columns"; fi
cat >"$TMP/points.json" <<'EOF'
["edge", {"preset": "mobile", "dataflow": "os"}, {"pes": "8x8", "dataflow": "rs", "buffer": "1MiB"}]
EOF
run sweep -w mobilenetv2 --hw-points "$TMP/points.json" --objective energy
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$TMP/out")" -eq 4 ] && grep -q ',mobile,os,32x32,' "$TMP/out" && grep -q ',point2,rs,8x8,1048576,' "$TMP/out"; then
    ok "sweep --hw-points"; else not_ok "sweep --hw-points"; fi

# --- bad input: exit 2, one line -----------------------------------------------------------------
expect_err 2 "unknown workload 'nosuchnet'" "unknown workload" map -w nosuchnet
expect_err 2 '--buffer' "bad --buffer" map -w resnet18 --buffer 12parsecs
expect_err 2 "unknown option '--frobnicate'" "unknown option" map -w resnet18 --frobnicate
expect_err 2 "needs a value" "missing option value" map -w resnet18 --batch
expect_err 2 '--batch' "bad --batch" map -w resnet18 --batch 0
expect_err 2 "unknown hardware preset 'toaster'" "unknown preset" map -w resnet18 --hw toaster
expect_err 2 "unknown command" "unknown command" frobnicate
expect_err 2 "missing command" "no command" 
expect_err 2 "missing -w" "map without -w" map
printf '{"name": "broken", "layers": [\n  {"type": "conv", "K": 8,, }\n' >"$TMP/malformed.json"
expect_err 2 'malformed\.json:2:[0-9]+' "malformed JSON file reports line:column" map -w "$TMP/malformed.json"
cat >"$TMP/mismatch.json" <<'EOF'
{"name": "mismatch", "layers": [
  {"name": "c1", "type": "conv", "K": 16, "C": 3, "Y": 32, "X": 32, "R": 3, "S": 3, "pad": 1},
  {"name": "c2", "type": "conv", "K": 16, "C": 32, "Y": 32, "X": 32, "R": 3, "S": 3, "pad": 1}
]}
EOF
expect_err 2 '/layers/1' "invalid workload file (channel mismatch) names the field" map -w "$TMP/mismatch.json"
expect_err 1 'layer .*(needs|need)' "too-small budget exits 1 (not 2: usage) naming the layer and bytes" map -w resnet50 --buffer 1KiB
expect_err 2 'No such file|unable to open' "missing workload file" map -w "$TMP/nothere.json"
expect_err 2 '' "bad --pes" map -w resnet18 --pes 0x4
expect_err 2 '' "bad --dataflow" map -w resnet18 --dataflow diagonal
expect_err 2 '' "bad --budgets" sweep -w resnet18 --budgets 1MiB..64KiB
expect_err 2 '' "sweep without budgets" sweep -w resnet18

# --- eval: infeasible (exit 1) and malformed (exit 2) --------------------------------------------
cat >"$TMP/over.json" <<EOF
{"workload": "resnet18", "hardware": "edge", "batch": 8, "budget": "512KiB",
 "groups": [{"first": 0, "last": $((nl - 1)), "micro_batch": 8}]}
EOF
expect_err 1 'infeasible mapping: group 0 .*needs .* at layer' "eval of an infeasible mapping exits 1 naming group and layer" eval "$TMP/over.json"
cat >"$TMP/gap.json" <<EOF
{"workload": "resnet18", "hardware": "edge", "batch": 8,
 "groups": [{"first": 0, "last": 3, "micro_batch": 8}, {"first": 5, "last": $((nl - 1)), "micro_batch": 1}]}
EOF
expect_err 2 '/groups/1' "eval of a non-contiguous mapping exits 2" eval "$TMP/gap.json"
cat >"$TMP/badmb.json" <<EOF
{"workload": "resnet18", "hardware": {"preset": "edge", "pes": "8x8"}, "batch": 2,
 "groups": [{"first": 0, "last": $((nl - 1)), "micro_batch": 3}]}
EOF
expect_err 2 'micro_batch' "eval micro-batch above batch exits 2" eval "$TMP/badmb.json"
expect_err 2 '' "eval of malformed JSON" eval "$TMP/malformed.json"
expect_err 2 '' "eval without a file" eval

# --- nothing crashes --------------------------------------------------------------------------
crashed=0
for args in "map -w" "map --json -w bert_base --seq-len 0" "eval /dev/null" "layers -w" "sweep -w resnet18 --budgets ," \
    "sweep -w resnet18 --budgets 1KiB..:3" "zoo nosuch --json" "map -w resnet18 --bw -1" "map -w resnet18 --seed -3"; do
    rc=0
    # shellcheck disable=SC2086
    "$BIN" $args >/dev/null 2>&1 || rc=$?
    if [ "$rc" -ge 128 ] || [ "$rc" -eq 0 ]; then crashed=1; echo "# '$args' exited $rc"; fi
done
if [ "$crashed" -eq 0 ]; then ok "bad inputs exit cleanly with an error"; else not_ok "bad inputs"; fi

# --- pictures: map --svg and sweep --svg (issue #5) ---------------------------------------------
# wellformed FILE: xmllint when installed, else a rough check (tests/unit/check_svg.c does the rest)
wellformed() {
    if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$1" 2>/dev/null; else
        head -c 5 "$1" | grep -q '^<?xml' && tail -1 "$1" | grep -q '^</svg>$' && ! grep -q '&[^a-z#]' "$1"; fi
}
expect_ok "map --svg" map -w resnet50 --hw edge --buffer 512KiB --batch 8 --svg "$TMP/map.svg"
ngroups=$(awk '$1 == "group" { t = 1; next } t && $1 ~ /^[0-9]+$/ { n++ } t && NF == 0 { exit } END { print n + 0 }' "$TMP/out")
if [ -s "$TMP/map.svg" ] && wellformed "$TMP/map.svg"; then ok "map --svg writes a well-formed SVG"; else not_ok "map --svg file"; fi
if [ "$ngroups" -gt 0 ] && grep -q '^vs lbl' "$TMP/out"; then ok "map --svg still prints the report"; else not_ok "map --svg report"; fi
nbands=$(grep -o 'class="group"' "$TMP/map.svg" | wc -l)
if [ "$nbands" -eq "$ngroups" ]; then ok "map --svg: one band per fusion group ($ngroups)"; else not_ok "map --svg: $nbands bands for $ngroups groups"; fi
if grep -q 'id="budget"' "$TMP/map.svg" && grep -q 'budget 512 KiB' "$TMP/map.svg" && grep -q 'speedup' "$TMP/map.svg"; then
    ok "map --svg: budget line and the gain in the title"; else not_ok "map --svg content"; fi
run map -w resnet50 --hw edge --buffer 512KiB --batch 8 --svg "$TMP/map2.svg"
if cmp -s "$TMP/map.svg" "$TMP/map2.svg"; then ok "map --svg: same input, same bytes"; else not_ok "map --svg is not deterministic"; fi
cat >"$TMP/hostile.json" <<'EOF'
{"name": "<script>alert(1)</script>&\"'", "layers": [
  {"name": "a<b>&'\"", "type": "conv", "K": 16, "C": 3, "Y": 32, "X": 32, "R": 3, "S": 3, "pad": 1},
  {"name": "</text><script>", "type": "conv", "K": 16, "C": 16, "Y": 32, "X": 32, "R": 3, "S": 3, "pad": 1}]}
EOF
expect_ok "map --svg of a workload with hostile names" map -w "$TMP/hostile.json" --batch 2 --svg "$TMP/hostile.svg"
if wellformed "$TMP/hostile.svg" && ! grep -q '<script' "$TMP/hostile.svg" && grep -q '&lt;script&gt;' "$TMP/hostile.svg"; then
    ok "map --svg escapes hostile names"; else not_ok "map --svg escaping"; fi
expect_ok "sweep --svg --solver transformer --compare ga" sweep -w resnet18 --batch 4 --budgets 16KiB..4MiB:6 \
    --solver transformer --compare ga --svg "$TMP/sweep.svg"
if head -1 "$TMP/out" | grep -q '^workload,hw,' && [ "$(wc -l <"$TMP/out")" -eq 7 ] && grep -q ',transformer,' "$TMP/out"; then
    ok "sweep --svg: the CSV on stdout is unchanged"; else not_ok "sweep --svg CSV"; fi
if wellformed "$TMP/sweep.svg" && [ "$(grep -o 'class="series"' "$TMP/sweep.svg" | wc -l)" -eq 8 ] &&
    grep -q 'layer-by-layer' "$TMP/sweep.svg" && grep -q 'optimum (exact)' "$TMP/sweep.svg" &&
    grep -q '>transformer<' "$TMP/sweep.svg" && grep -q '>ga<' "$TMP/sweep.svg"; then
    ok "sweep --svg: 4 series (lbl, exact, transformer, ga) in 2 panels"; else not_ok "sweep --svg series"; fi
if grep -q 'no feasible mapping' "$TMP/sweep.svg"; then ok "sweep --svg: the too-small 16 KiB budget is shaded"; else not_ok "sweep --svg infeasible shading"; fi
expect_ok "sweep --svg --space depth_first --compare transformer" sweep -w resnet18 --budgets 64KiB..1MiB:3 \
    --space depth_first --compare transformer --svg "$TMP/sweep_df.svg"
if wellformed "$TMP/sweep_df.svg" && grep -q '>optimum (exact, depth-first)<' "$TMP/sweep_df.svg" &&
    grep -q '>batch-only optimum (exact)<' "$TMP/sweep_df.svg" && grep -q '>transformer<' "$TMP/sweep_df.svg" &&
    grep -q 'depth-first space' "$TMP/sweep_df.svg"; then
    ok "sweep --svg --space depth_first: the depth-first and batch-only optima"; else not_ok "sweep --svg depth-first series"; fi
expect_ok "map --svg --space depth_first" map -w resnet18 --buffer 256KiB --space depth_first --svg "$TMP/map_df.svg"
ntiled=$(awk '$1 == "depth-first" { print $2 }' "$TMP/out")
if wellformed "$TMP/map_df.svg" && grep -q 'depth-first mapping' "$TMP/map_df.svg" &&
    [ "$(grep -o 'class="tile-grid"' "$TMP/map_df.svg" | wc -l)" -eq "${ntiled:-0}" ] && [ "${ntiled:-0}" -gt 0 ] &&
    grep -Eq '>tile [0-9]+×[0-9]+, (recompute|cache_rows|cache_all)<' "$TMP/map_df.svg"; then
    ok "map --svg --space depth_first: a tile glyph and label per tiled group ($ntiled)"; else not_ok "map --svg depth-first tiles"; fi
run eval "$TMP/over.json" --svg "$TMP/over.svg"
if [ "$rc" -eq 1 ] && wellformed "$TMP/over.svg" && grep -q 'INFEASIBLE' "$TMP/over.svg" && grep -q 'given mapping' "$TMP/over.svg"; then
    ok "eval --svg draws an infeasible mapping (and still exits 1)"; else not_ok "eval --svg (exit $rc)"; fi
expect_err 2 'hw-points' "sweep --svg with --hw-points is refused" sweep -w resnet18 --hw-points "$TMP/points.json" --svg "$TMP/x.svg"
expect_err 2 'compare' "--compare without --svg is refused" sweep -w resnet18 --budgets 1MiB --compare ga
expect_err 2 'unknown solver' "--compare with an unknown solver" sweep -w resnet18 --budgets 1MiB --compare magic --svg "$TMP/x.svg"
expect_err 2 'file name' "--svg - is refused (stdout carries the report)" map -w resnet18 --svg -
expect_err 2 'cannot write' "--svg into a missing directory" map -w resnet18 --svg "$TMP/no/such/dir/x.svg"
run map --help
if grep -q -- '--svg FILE' "$TMP/out"; then ok "map --help documents --svg"; else not_ok "map --help --svg"; fi
run sweep --help
if grep -q -- '--svg FILE' "$TMP/out" && grep -q -- '--compare' "$TMP/out"; then ok "sweep --help documents --svg and --compare"; else not_ok "sweep --help"; fi
# --- ONNX models (tests/fixtures/onnx: torchvision networks exported without parameters) ----------
FIX=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/onnx" && pwd)
run map -w "$FIX/resnet18.onnx" --hw edge --buffer 512KiB --batch 8
tail -n +2 "$TMP/out" | grep -v '^solve time' >"$TMP/onnx.report"
if [ "$rc" -eq 0 ] && head -1 "$TMP/out" | grep -q '^resnet18.onnx: 31 layers, 1.814 GMAC/sample'; then ok "map -w resnet18.onnx"; else not_ok "map -w resnet18.onnx (exit $rc)"; fi
run map -w resnet18 --hw edge --buffer 512KiB --batch 8
tail -n +2 "$TMP/out" | grep -v '^solve time' >"$TMP/zoo.report"
if cmp -s "$TMP/onnx.report" "$TMP/zoo.report"; then ok "the imported resnet18 maps exactly as the zoo's"; else not_ok "resnet18.onnx and zoo resnet18 reports differ"; fi
cp "$FIX/googlenet.onnx" "$TMP/model"
run map -w "$TMP/model" --batch 4 --solver lbl
if [ "$rc" -eq 0 ] && head -1 "$TMP/out" | grep -q '^model: 81 layers, 1.498 GMAC/sample'; then ok "an ONNX file without the .onnx suffix is detected by content"; else not_ok "ONNX detected by content (exit $rc)"; fi
run map --json -w "$FIX/mobilenet_v2.onnx" --batch 2 --buffer 1MiB
cp "$TMP/out" "$TMP/onnx.json"
expect_err 2 'give it with -w' "eval of an ONNX answer without -w says to give the workload" eval "$TMP/onnx.json"
expect_ok "eval -w MODEL of a map --json answer of an ONNX workload" eval -w "$FIX/mobilenet_v2.onnx" "$TMP/onnx.json"
expect_ok "layers -w googlenet.onnx" layers -w "$FIX/googlenet.onnx"
expect_err 2 "node 1 '/up/DepthToSpace' \\(DepthToSpace\\): unsupported operator DepthToSpace" "an unsupported ONNX operator is named with its node" map -w "$FIX/unsupported.onnx"
head -c 4000 "$FIX/resnet18.onnx" >"$TMP/cut.onnx"
expect_err 2 'not a valid ONNX model' "a truncated ONNX file exits 2" map -w "$TMP/cut.onnx"
printf 'not a model' >"$TMP/text.onnx"
expect_err 2 'ONNX' "a .onnx file that is not ONNX exits 2" map -w "$TMP/text.onnx"
expect_err 2 'cannot open' "a missing .onnx file exits 2" map -w "$TMP/missing.onnx"

# --- issue 11: names, options, exit codes, units, the answer's path ------------------------------
expect_err 2 'did you mean "map"' "an unknown command gets a did-you-mean" mpa -w resnet18
expect_err 2 "did you mean '--buffer'" "an unknown flag gets a did-you-mean" map -w resnet18 --bufer 1MiB
expect_err 2 'did you mean "exact"' "an unknown solver gets a did-you-mean" map -w resnet18 --solver exakt
expect_err 2 'did you mean "resnet50"' "an unknown zoo name gets a did-you-mean" map -w resnt50
expect_err 2 'did you mean "edge"' "an unknown preset gets a did-you-mean" map -w resnet18 --hw egde
expect_err 2 'candidates.*not to exact' "--candidates with --solver exact is refused" map -w resnet18 --solver exact --candidates 4
expect_err 2 'ga solver' "--population without --solver ga is refused" map -w resnet18 --population 8
expect_err 2 'weights.*not to --solver lbl' "--weights with --solver lbl is refused" map -w resnet18 --solver lbl --weights x
run --help
if grep -q '1 infeasible' "$TMP/out" && grep -q '2 bad input' "$TMP/out"; then ok "--help documents the exit codes"; else not_ok "--help exit codes"; fi
run map --help
if grep -q 'Exit status: 0 answered, 1 the budget is too small' "$TMP/out" && grep -q 'auto' "$TMP/out"; then
    ok "map --help: exit codes and auto"; else not_ok "map --help exit codes"; fi
printf '\211PNG\r\n\032\n' >"$TMP/picture.onnx"
expect_err 2 'not an ONNX model' "a PNG named .onnx is 'not an ONNX model'" map -w "$TMP/picture.onnx"
cp "$TMP/picture.onnx" "$TMP/picture.png"
expect_err 2 'neither JSON .* nor an ONNX model' "a PNG is 'neither JSON nor ONNX'" map -w "$TMP/picture.png"
run eval "$TMP/over.json"
if [ "$rc" -eq 1 ] && grep -q 'no comparison' "$TMP/out" && ! grep -q 'speedup' "$TMP/out"; then
    ok "eval of an infeasible mapping makes no speedup claim"; else not_ok "eval infeasible speedup claim (exit $rc)"; fi
for size in 512KB 512kb 512K 524288; do
    run map -w resnet18 --buffer "$size" --json
    grep -q '"buffer": 524288' "$TMP/out" || { not_ok "--buffer $size is not 524288 bytes"; continue; }
    ok "--buffer $size = 524288 bytes (binary units)"
done
run map -w resnet18 --buffer 512KiB --batch 4
if grep -q '^answered by   exact (auto: exact' "$TMP/out"; then ok "map says which path answered and why"; else not_ok "map: no 'answered by' line"; fi
run map -w resnet18 --buffer 512KiB --batch 4 --json
if grep -q '"solver": "auto"' "$TMP/out" && grep -q '"path": "exact"' "$TMP/out" && grep -q '"timings"' "$TMP/out" &&
    ! grep -q '"solve_ms": [0-9.]*,$' <(sed -n '2,4p' "$TMP/out") && ! grep -Eq '(^|[^0-9])[1-9][0-9]*\.[0-9]{11,}|0\.0*[1-9][0-9]{10,}' "$TMP/out"; then
    ok "map --json: the API's shape (solver, path, timings), no float noise"; else not_ok "map --json shape"; fi
run sweep -w resnet50 --batch 8 --budgets 2MiB,4MiB,8MiB --solver transformer
if [ "$rc" -eq 0 ] && awk -F, 'NR > 2 && $11 > prev { bad = 1 } NR > 1 { prev = $11 } END { exit bad }' "$TMP/out" &&
    head -1 "$TMP/out" | grep -q ',path,space,tiled_groups,recompute,tiles$'; then
    ok "sweep: latency never rises with the budget (resnet50 batch 8, transformer)"; else not_ok "sweep monotone"; fi

# --- depth-first space (issue 14) -------------------------------------------------------------
expect_ok "map --space depth_first (resnet18 batch 1, 256KiB, energy)" map -w resnet18 --hw edge --buffer 256KiB \
    --batch 1 --objective energy --space depth_first --json
cp "$TMP/out" "$TMP/df.json"
if grep -q '"space": "depth_first"' "$TMP/df.json" && grep -q '"overlap": "cache' "$TMP/df.json" &&
    grep -Eq '"tiles": [2-9]|"tiles": [1-9][0-9]' "$TMP/df.json"; then
    ok "depth-first answer: tiled groups with an overlap mode"; else not_ok "depth-first answer has no tiled group"; fi
expect_ok "map --space batch (same point)" map -w resnet18 --hw edge --buffer 256KiB --batch 1 --objective energy
de=$(awk '/^energy/ { print $2; exit }' "$TMP/out")
expect_ok "eval of the depth-first answer" eval -w resnet18 "$TMP/df.json"
ee=$(awk '/^energy/ { print $2; exit }' "$TMP/out")
if [ -n "$de" ] && [ -n "$ee" ] && awk -v a="$ee" -v b="$de" 'BEGIN { exit !(a < b) }' && grep -q 'cache_' "$TMP/out"; then
    ok "eval reads the tiles back: depth-first energy $ee uJ < batch-only $de uJ"; else not_ok "eval of tiles ($ee vs $de)"; fi
# the shipped weights decode the batch space: a depth-first transformer request is solved exactly (issue 18)
expect_ok "--space depth_first --solver transformer with batch weights" \
    map -w resnet18 --buffer 256KiB --space depth_first --solver transformer
grep -q 'exact-fallback' "$TMP/out" && grep -q 'weights decode the batch space, not depth_first' "$TMP/out" &&
    ok "  answered exactly, the note names the weights' space" || not_ok "depth-first transformer with batch weights"
expect_err 2 'space depth_first applies' "--space depth_first refused with lbl" \
    map -w resnet18 --buffer 256KiB --space depth_first --solver lbl
expect_err 2 'unknown map-space' "--space typo" map -w resnet18 --space deep
# a budget only tiles can meet (fsrcnn's deconv needs 141 KiB whole): batch-only names the layer,
# depth-first answers with no layer-by-layer baseline
expect_err 1 'deconv' "fsrcnn 64KiB batch-only: too small" map -w fsrcnn --buffer 64KiB
expect_ok "fsrcnn 64KiB depth-first answers" map -w fsrcnn --buffer 64KiB --space depth_first --json
if grep -q '"baseline": null' "$TMP/out" && grep -q '"gain": null' "$TMP/out" && grep -q '"feasible": true' "$TMP/out"; then
    ok "only tiles fit: feasible, baseline and gain null"; else not_ok "only-tiles answer"; fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
