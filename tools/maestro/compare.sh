#!/usr/bin/env bash
# compare.sh - per-layer comparison of dnnfuser's analytical cost model with MAESTRO.
#
#   MAESTRO=/path/to/built/maestro tools/maestro/compare.sh [OUT.csv]
#
# Needs an already-built MAESTRO binary (this script never builds it) and build/dnnfuser (`make`).
# For every conv/fc layer of each network and every dataflow it:
#   1. exports our per-layer figures: `dnnfuser layers -w NET --hw HW.json --json`;
#   2. writes a one-layer MAESTRO mapping file from tools/maestro/{ws,os,rs,rs_krep}.m and a MAESTRO
#      hardware file into a temporary directory;
#   3. runs MAESTRO three times: (a) unconstrained NoC, zero hop latency (pure compute: compares with
#      our compute_cycles), (b) the same with MAESTRO's default one-cycle hop latency, (c) NoC
#      bandwidth = our noc_bw / elem_bytes elements per cycle, one-cycle hops (compares with
#      max(compute, NoC) of our model);
#   4. writes one CSV row per (layer, dataflow); see docs/maestro/README.md for the columns.
# Environment: MAESTRO (required), DNNFUSER [build/dnnfuser], NETS ["vgg16 resnet50"],
# DATAFLOWS ["ws os rs"], ROWS/COLS [16/16], NOC_BW [64 B/cycle], ELEM_BYTES [2], KEEP_TMP=1.
# Pure bash + awk.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${MAESTRO:?set MAESTRO=/path/to/built/maestro (this script does not build it)}"
[ -x "$MAESTRO" ] || { echo "compare.sh: MAESTRO=$MAESTRO is not executable" >&2; exit 2; }
MAESTRO=$(cd "$(dirname "$MAESTRO")" && pwd)/$(basename "$MAESTRO")
DNNFUSER=${DNNFUSER:-$root/build/dnnfuser}
[ -x "$DNNFUSER" ] || { echo "compare.sh: $DNNFUSER missing; run make first" >&2; exit 2; }
NETS=${NETS:-"vgg16 resnet50"}
DATAFLOWS=${DATAFLOWS:-"ws os rs"}
ROWS=${ROWS:-16}
COLS=${COLS:-16}
NOC_BW=${NOC_BW:-64}
ELEM_BYTES=${ELEM_BYTES:-2}
out=${1:-$root/docs/maestro/comparison.csv}
BIG=100000000   # "unconstrained" buffer sizes and bandwidths for MAESTRO

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnnf-maestro.XXXXXX")
if [ "${KEEP_TMP:-0}" = 1 ]; then echo "compare.sh: keeping $tmp" >&2; else trap 'rm -rf "$tmp"' EXIT; fi

# --- our side: JSON array -> one tab-separated line per layer -------------------------------
# Fields: index name type K C Y X R S stride pad groups P Q macs compute_cycles utilization noc_w noc_in noc_out
json_to_tsv() {
    sed 's/[{}]/\n&\n/g; s/,/\n/g' | awk '
    BEGIN { n = split("index name type K C Y X R S stride pad groups P Q macs compute_cycles utilization noc_w noc_in noc_out", F, " ") }
    /^[ \t]*"[A-Za-z_]+"[ \t]*:/ {
        line = $0
        sub(/^[ \t]*"/, "", line); key = line; sub(/".*/, "", key)
        val = line; sub(/^[^:]*:[ \t]*/, "", val); gsub(/^"|"[ \t]*$/, "", val); gsub(/[ \t]+$/, "", val)
        rec[key] = val; have = 1; next
    }
    /^[ \t]*}/ {
        if (have) { s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? "\t" : "") ((F[i] in rec) ? rec[F[i]] : "NA"); print s }
        delete rec; have = 0
    }'
}

# --- MAESTRO side -----------------------------------------------------------------------------
# write_mapping TEMPLATE OUT.m NAME K C R S Y X STRIDE CR KR P XT XO
write_mapping() {
    local tpl=$1 mf=$2
    awk -v name="$3" -v K="$4" -v C="$5" -v R="$6" -v S="$7" -v Y="$8" -v X="$9" -v st="${10}" \
        -v CR="${11}" -v KR="${12}" -v P="${13}" -v XT="${14}" -v XO="${15}" -v ROWS="$ROWS" -v COLS="$COLS" '
    BEGIN {
        print "Network cmp {"
        print "Layer " name " {"
        print "Type: CONV"
        print "Stride { X: " st ", Y: " st " }"
        print "Dimensions { K: " K ", C: " C ", R: " R ", S: " S ", Y: " Y ", X: " X " }"
        print "Dataflow {"
    }
    /^#/ || /^[ \t]*$/ { next }
    {
        gsub(/@ROWS@/, ROWS); gsub(/@COLS@/, COLS); gsub(/@CR@/, CR); gsub(/@KR@/, KR)
        gsub(/@P@/, P); gsub(/@XT@/, XT); gsub(/@XO@/, XO)
        print
    }
    END { print "}"; print "}"; print "}" }' "$tpl" > "$mf"
}

# run_maestro DIR TAG NUM_PES NOC_BW HOPS -> prints the last CSV row (or NA)
run_maestro() {
    local dir=$1 tag=$2
    printf 'num_pes: %s\nl1_size_cstr: %s\nl2_size_cstr: %s\nnoc_bw_cstr: %s\nNoC_NumHops: %s\noffchip_bw_cstr: %s\n' \
        "$3" "$BIG" "$BIG" "$4" "$5" "$BIG" > "$dir/hw_$tag.m"
    cp "$dir/layer.m" "$dir/run_$tag.m"
    rm -f "$dir/run_$tag.csv"
    if (cd "$dir" && "$MAESTRO" --HW_file="hw_$tag.m" --Mapping_file="run_$tag.m" --print_res=false \
            --print_res_csv_file=true --print_log_file=false > "run_$tag.log" 2>&1) && [ -s "$dir/run_$tag.csv" ]; then
        tail -n 1 "$dir/run_$tag.csv"
    else
        echo NA
    fi
}

# Column positions in MAESTRO's CSV header (looked up by name, spaces trimmed).
maestro_pick() {  # HEADER ROW -> runtime macs avg_pes in_l2_rd w_l2_rd out_l2_rd out_l2_wr in_l1_rd
    awk -v H="$1" -v R="$2" 'BEGIN {
        nh = split(H, h, ","); split(R, r, ",")
        for (i = 1; i <= nh; i++) { k = h[i]; gsub(/^[ \t]+|[ \t]+$/, "", k); col[k] = i }
        split("Runtime (Cycles)|Num MACs|Avg number of utilized PEs|input l2 read|filter l2 read|output l2 read|output l2 write|input l1 read", want, "|")
        s = ""
        for (j = 1; j <= 8; j++) { v = (want[j] in col) ? r[col[want[j]]] : "NA"; gsub(/[ \t]/, "", v); s = s (j > 1 ? " " : "") (v == "" ? "NA" : v) }
        print s
    }'
}

hdr_file=$tmp/header.csv
rows_file=$tmp/rows.tsv
: > "$rows_file"

for net in $NETS; do
    for df in $DATAFLOWS; do
        printf '{"pes":"%dx%d","dataflow":"%s","buffer":"1MiB","dram_bw":64,"noc_bw":%s,"elem_bytes":%s}\n' \
            "$ROWS" "$COLS" "$df" "$NOC_BW" "$ELEM_BYTES" > "$tmp/hw_$df.json"
        "$DNNFUSER" layers -w "$net" --hw "$tmp/hw_$df.json" --json > "$tmp/$net.$df.json"
        json_to_tsv < "$tmp/$net.$df.json" > "$tmp/$net.$df.tsv"
        while IFS=$'\t' read -r idx name type K C Y X R S st pad groups P Q macs cyc util nw nin nout; do
            case $type in conv|fc) ;; *) continue ;; esac
            note=""
            if [ "$groups" != 1 ]; then echo "compare.sh: $net/$name: groups=$groups not supported, skipped" >&2; continue; fi
            # MAESTRO has no padding: hand it the padded extent that yields exactly P x Q outputs.
            mst=$st
            if [ "$R" = 1 ] && [ "$S" = 1 ] && [ "$st" != 1 ]; then
                # A strided 1x1 conv is the same computation as a stride-1 1x1 conv on the subsampled
                # input; MAESTRO's stride handling over-counts such layers, so give it the latter.
                mst=1; note="1x1/s${st}->s1"
            fi
            mY=$(( (P - 1) * mst + R )); mX=$(( (Q - 1) * mst + S ))
            CR=1 KR=1 XT=0 XO=0 npes=$((ROWS * COLS)) tpl=$here/$df.m
            case $df in
                os) XT=$(( (COLS - 1) * mst + S )); XO=$(( COLS * mst ))
                    [ "$XT" -gt "$mX" ] && XT=$mX ;;   # one tile covers the row (MAESTRO miscounts an oversized tile)
                rs)
                    if [ "$R" -gt "$ROWS" ]; then echo "compare.sh: $net/$name: R > ROWS not mapped, skipped" >&2; continue; fi
                    CR=$(( ROWS / R ))
                    if [ "$P" -le $(( COLS / 2 )) ]; then
                        KR=$(( COLS / P )); tpl=$here/rs_krep.m; npes=$(( KR * P * CR * R ))
                    else
                        npes=$(( COLS * CR * R ))
                    fi ;;
            esac
            d=$tmp/run
            mkdir -p "$d"
            write_mapping "$tpl" "$d/layer.m" "L$idx" "$K" "$C" "$R" "$S" "$mY" "$mX" "$mst" "$CR" "$KR" "$P" "$XT" "$XO"
            ra=$(run_maestro "$d" a "$npes" "$BIG" 0)
            rb=$(run_maestro "$d" b "$npes" "$BIG" 1)
            rc=$(run_maestro "$d" c "$npes" $(( NOC_BW / ELEM_BYTES )) 1)
            [ -s "$hdr_file" ] || { [ -s "$d/run_a.csv" ] && head -n 1 "$d/run_a.csv" > "$hdr_file"; }
            hdr=$(cat "$hdr_file" 2>/dev/null || true)
            pa=$(maestro_pick "$hdr" "$ra"); pb=$(maestro_pick "$hdr" "$rb"); pc=$(maestro_pick "$hdr" "$rc")
            [ "$ra" = NA ] && note="${note:+$note;}maestro_failed"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
                "$net" "$idx" "$name" "$type" "$df" "$K" "$C" "$Y" "$X" "$R" "$S" "$st" "$P" "$Q" "$macs" \
                "$cyc" "$util" "$nw" "$nin" "$nout" "$npes" "$pa" "$(echo "$pb" | cut -d' ' -f1)" \
                "$(echo "$pc" | cut -d' ' -f1)" "${note:--}" >> "$rows_file"
        done < "$tmp/$net.$df.tsv"
    done
done

mkdir -p "$(dirname "$out")"
awk -F'\t' -v PES=$((ROWS * COLS)) -v NOCBW="$NOC_BW" -v EB="$ELEM_BYTES" '
function ratio(a, b) { return (a == "NA" || b == "NA" || b + 0 == 0) ? "NA" : sprintf("%.4f", a / b) }
function num(x) { return (x == "NA") ? "NA" : sprintf("%.0f", x) }
BEGIN {
    OFS = ","
    # The 18 columns asked for come first, in this order; the detail columns follow.
    print "network,layer,dataflow,K,C,Y,X,R,S,stride," \
          "ours_cycles,maestro_cycles,cycles_ratio,ours_util,maestro_util," \
          "ours_l2_reads,maestro_l2_reads,traffic_ratio," \
          "index,type,P,Q,macs,maestro_cycles_hop1,cycles_ratio_hop1," \
          "util_diff,maestro_avg_pes,maestro_num_pes,maestro_macs," \
          "ours_noc_w,maestro_l2_w_reads,w_ratio,ours_noc_in,maestro_l2_in_reads,in_ratio," \
          "ours_noc_out,maestro_l2_out_writes,maestro_l2_out_reads,out_ratio,maestro_l1_in_reads," \
          "ours_cycles_noc,maestro_cycles_noc,cycles_ratio_noc,note"
}
{
    net = $1; idx = $2; name = $3; type = $4; df = $5
    macs = $15; cyc = $16; util = $17; nw = $18; nin = $19; nout = $20; npes = $21
    split($22, a, " ")   # runtime macs avg_pes in_l2_rd w_l2_rd out_l2_rd out_l2_wr in_l1_rd
    mcyc = a[1]; mmacs = a[2]; mpes = a[3]; min = a[4]; mw = a[5]; moutr = a[6]; moutw = a[7]; ml1 = a[8]
    mcyc1 = $23; mcycn = $24; note = $25
    mutil = (mcyc == "NA" || mcyc + 0 == 0) ? "NA" : sprintf("%.4f", macs / (mcyc * PES))
    udiff = (mutil == "NA") ? "NA" : sprintf("%.4f", util - mutil)
    if (mmacs != "NA" && mmacs + 0 != macs + 0) note = (note == "-" ? "" : note ";") "maestro_macs!=macs"
    ours_rd = nw + nin
    mrd = (min == "NA" || mw == "NA") ? "NA" : min + mw
    ours_noc = cyc; noc = (nw + nin + nout) * EB / NOCBW; if (noc > ours_noc) ours_noc = noc
    print net, name, df, $6, $7, $8, $9, $10, $11, $12,
          num(cyc), mcyc, ratio(cyc, mcyc), sprintf("%.4f", util), mutil,
          num(ours_rd), num(mrd), ratio(ours_rd, mrd),
          idx, type, $13, $14, macs, mcyc1, ratio(cyc, mcyc1),
          udiff, mpes, npes, mmacs,
          num(nw), mw, ratio(nw, mw), num(nin), min, ratio(nin, min),
          num(nout), moutw, moutr, ratio(nout, (moutw == "NA" ? "NA" : moutw + moutr)), ml1,
          num(ours_noc), mcycn, ratio(ours_noc, mcycn), note
}' "$rows_file" > "$out"
echo "compare.sh: wrote $(($(wc -l < "$out") - 1)) rows to $out" >&2
awk -f "$here/summary.awk" "$out"
