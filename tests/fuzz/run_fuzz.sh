#!/usr/bin/env bash
# run_fuzz.sh - runs every libFuzzer target built in $FUZZ_BUILD/fuzz/ for FUZZ_SECONDS each, two at a
# time (one per core), and ends with "fuzz: N passed, M failed" (a target fails on any crash, leak,
# sanitizer report or input slower than FUZZ_TIMEOUT seconds). Each run first replays the committed
# seeds (tests/fuzz/corpus/<target>/) and every past crash kept as a regression input
# (tests/fuzz/regress/<target>/), then mutates; the JSON targets with tests/fuzz/request_keys.dict.
#   make test   FUZZ_SECONDS=12: new inputs go to a temporary directory and are thrown away
#   make fuzz   FUZZ_KEEP=1: new inputs are kept in $FUZZ_BUILD/corpus/<target>/ (a growing corpus
#               across runs), crash inputs in $FUZZ_BUILD/crashes/<target>/; one stats line per run
#               is appended to $FUZZ_BUILD/fuzz-stats.log
# A crash input to keep: copy it to tests/fuzz/regress/<target>/ with a name saying what it was.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-12}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-25}
FUZZ_KEEP=${FUZZ_KEEP:-0}
FUZZ_JOBS=${FUZZ_JOBS:-2}
cd "$ROOT"
shopt -s nullglob
bins=()
for b in "$FUZZ_BUILD"/fuzz/fuzz_*; do case "$b" in *.*) ;; *) [ -x "$b" ] && bins+=("$b") ;; esac; done
if [ ${#bins[@]} -eq 0 ]; then
    echo "fuzz: no targets in $FUZZ_BUILD/fuzz (make fuzz-build)" >&2
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# single-threaded BLAS (the weights target decodes); leaks are checked by libFuzzer itself (-detect_leaks)
export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

run_one() {
    local bin=$1 t
    t=$(basename "$bin")
    local work crashes
    if [ "$FUZZ_KEEP" = 1 ]; then
        work="$FUZZ_BUILD/corpus/$t"
        crashes="$FUZZ_BUILD/crashes/$t"
    else
        work="$TMP/corpus-$t"
        crashes="$TMP/crashes-$t"
    fi
    mkdir -p "$work" "$crashes"
    local dirs=("$work" "tests/fuzz/corpus/$t")
    [ -d "tests/fuzz/regress/$t" ] && dirs+=("tests/fuzz/regress/$t")
    # the ONNX importer's own fixtures, when that branch is in
    [ "$t" = fuzz_onnx ] && [ -d tests/fixtures/onnx ] && dirs+=(tests/fixtures/onnx)
    # the JSON targets get the dictionary of request keys (jansson is not instrumented: without it the
    # fuzzer rarely spells a key)
    local dict=()
    case "$t" in fuzz_request | fuzz_workload | fuzz_mapping) dict=(-dict=tests/fuzz/request_keys.dict) ;; esac
    local rc=0
    "$bin" "${dict[@]}" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes/" "${dirs[@]}" >"$TMP/$t.log" 2>&1 || rc=$?
    echo "$rc" >"$TMP/$t.rc"
}

running=0
for bin in "${bins[@]}"; do
    run_one "$bin" &
    running=$((running + 1))
    if [ "$running" -ge "$FUZZ_JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

pass=0
fail=0
for bin in "${bins[@]}"; do
    t=$(basename "$bin")
    rc=$(cat "$TMP/$t.rc")
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$TMP/$t.log" | tail -1)
    secs=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$TMP/$t.log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$TMP/$t.log" | tail -1)
    seeds=$(sed -nE 's/.*INFO: seed corpus: files: ([0-9]+).*/\1/p' "$TMP/$t.log" | head -1)
    line="$t: execs=${execs:-?} seconds=${secs:-?} seeds=${seeds:-?} ${cov:-}"
    if [ "$rc" = 0 ]; then
        echo "ok - $line"
        pass=$((pass + 1))
    else
        echo "not ok - $t exit $rc ($line)"
        grep -E 'ERROR: |SUMMARY: |runtime error|invariant failed|Test unit written|ALARM|out-of-memory' "$TMP/$t.log" | head -12 | sed 's/^/#   /'
        fail=$((fail + 1))
    fi
    if [ "$FUZZ_KEEP" = 1 ]; then
        mkdir -p "$FUZZ_BUILD"
        echo "$(date -u +%FT%TZ) $line rc=$rc" >>"$FUZZ_BUILD/fuzz-stats.log"
        cp "$TMP/$t.log" "$FUZZ_BUILD/$t.last.log"
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
