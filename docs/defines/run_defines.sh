#!/usr/bin/env bash
# run_defines.sh - regenerate docs/defines/defines_results.csv from a DeFiNES checkout (dev-time tool; never
# run by make test). Runs every schedule point of points.txt through defines_point.py, one process per point,
# niced and bounded, and writes one CSV row per point that finished.
#
# usage: docs/defines/run_defines.sh DEFINES_DIR [OUT_CSV] [POINTS_FILE]
#   env: TIMEOUT (seconds per point, default 1800), LPF (DeFiNES loma_lpf_limit, default 6),
#        PYTHON (default /usr/bin/python3, Debian's: needs python3-numpy python3-networkx python3-sympy),
#        ONLY (a grep -E pattern: run only the points lines that match it, e.g. ONLY=fsrcnn)
# Points that time out or fail are listed on stderr and in OUT_CSV.log, not in the CSV.
set -u
here=$(cd "$(dirname "$0")" && pwd)
defines=${1:?usage: run_defines.sh DEFINES_DIR [OUT_CSV] [POINTS_FILE]}
out=${2:-$here/defines_results.csv}
points=${3:-$here/points.txt}
timeout_s=${TIMEOUT:-1800}
lpf=${LPF:-6}
py=${PYTHON:-/usr/bin/python3}
[ -f "$defines/classes/stages/DepthFirstStage.py" ] || { echo "run_defines.sh: $defines is not a DeFiNES checkout" >&2; exit 2; }
[ -f "$points" ] || { echo "run_defines.sh: no points file $points" >&2; exit 2; }
"$py" -c 'import numpy, networkx, sympy' 2>/dev/null ||
    { echo "run_defines.sh: $py lacks numpy/networkx/sympy (apt-get install python3-numpy python3-networkx python3-sympy)" >&2; exit 2; }

log=$out.log
echo "workload,hardware,schedule,energy_pj,latency_cycles,dram_bytes,solve_seconds,cpu_seconds,lpf,tilex,tiley,mode,stack_cuts" > "$out"
: > "$log"
study_start=$(date +%s)
fails=0
while read -r hw wl tx ty mode label extra; do
    case "$hw" in ''|'#'*) continue ;; esac
    line="$hw $wl $tx $ty $mode $label ${extra:-}"
    if [ -n "${ONLY:-}" ] && ! grep -qE "$ONLY" <<<"$line"; then continue; fi
    args=(--defines "$defines" --hw "$hw" --wl "workload_$wl" --tilex "$tx" --tiley "$ty" --mode "$mode" --lpf "$lpf")
    [ "$label" != "-" ] && args+=(--label "$label")
    case "${extra:-}" in
        each_layer_alone) args+=(--each-layer-alone) ;;
        cut_every_layer) args+=(--cut-every-layer) ;;
    esac
    t0=$(date +%s)
    if row=$(timeout "$timeout_s" nice -n 19 "$py" "$here/defines_point.py" "${args[@]}" 2>>"$log"); then
        echo "$row" >> "$out"
        echo "ok   $(( $(date +%s) - t0 ))s  $line" | tee -a "$log" >&2
    else
        fails=$((fails + 1))
        echo "FAIL/timeout after $(( $(date +%s) - t0 ))s: $line" | tee -a "$log" >&2
    fi
done < "$points"
echo "study: $(( $(date +%s) - study_start ))s wall, $fails failed point(s)" | tee -a "$log" >&2
[ "$fails" -eq 0 ]
