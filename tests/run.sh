#!/usr/bin/env bash
# tests/run.sh - runs every Check unit binary and integration script given on the command line,
# keeps going after a failure, sums the checks each one reports, and ends with one line
# "tests: N passed, M failed" (exit 1 if anything failed). Used by `make test`.
#
# An item "asan:PATH" runs PATH against the sanitizer build (BUILD=$ASAN_BUILD, default build-asan)
# with the sanitizer environment below; every AddressSanitizer / LeakSanitizer / UBSan report is
# written to a per-item directory (log_path), printed, and fails the item even when the exit status
# hid it (a report from the daemon under an integration script, a forked Check child).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
passed=0; failed=0; bad=(); times=()
for item in "$@"; do
    t=$item
    san=""
    case "$item" in asan:*) t=${item#asan:}; san=$(mktemp -d) ;; esac
    echo "== $item"
    t0=$(date +%s.%N)
    if [ -n "$san" ]; then
        # detect_leaks: LSan at every instrumented process's exit; halt_on_error with
        # -fno-sanitize-recover=all: the first report ends the process. OpenBLAS runs single-threaded
        # (as in production, PLATFORM.md pitfall 10). Suppressions: tests/sanitizers/lsan.supp.
        export_env=(BUILD="${ASAN_BUILD:-build-asan}" OPENBLAS_NUM_THREADS=1
            ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:log_path=$san/asan"
            LSAN_OPTIONS="suppressions=$HERE/sanitizers/lsan.supp:print_suppressions=0"
            UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$san/ubsan"
            CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-600}" SANITIZED=1
            # test_daemon.sh's slow request, a quarter of the work: ASan makes the search about 3x
            # slower, and the queue-full and drain checks need it well inside the 10 s deadline
            SLOW='{"workload":"resnet50","solver":"ga","ga":{"population":128,"generations":250,"seed":1}}')
    else
        export_env=(BUILD="${BUILD:-build}" CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-300}")
    fi
    case "$t" in
        *.sh) out=$(env "${export_env[@]}" bash "$t" 2>&1); rc=$? ;;
        *)    out=$(env "${export_env[@]}" "./$t" 2>&1); rc=$? ;;
    esac
    printf '%s\n' "$out"
    # Check: "100%: Checks: 9, Failures: 0, Errors: 0"; scripts: "name: 12 passed, 0 failed"
    if line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' | tail -1); [ -n "$line" ]; then
        n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line"); f=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$line")
        f=$((f)); passed=$((passed + n - f)); failed=$((failed + f))
    elif line=$(printf '%s\n' "$out" | grep -E '^[a-z_ -]+: [0-9]+ passed, [0-9]+ failed' | tail -1); [ -n "$line" ]; then
        n=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
        passed=$((passed + n)); failed=$((failed + f))
    fi
    if [ -n "$san" ]; then
        reports=$(find "$san" -type f -size +0 | sort)
        if [ -n "$reports" ]; then
            echo "# sanitizer reports for $item:"
            for r in $reports; do sed 's/^/#   /' "$r" | head -60; done
            # counted once, unless the item's own counts already show a failure
            if ! printf '%s\n' "$out" | grep -qE 'Failures: [1-9]|Errors: [1-9]| [1-9][0-9]* failed'; then
                out="$out"$'\n'"sanitizer: 0 passed, 1 failed"
                failed=$((failed + 1))
            fi
            [ $rc -eq 0 ] && rc=99
        fi
        rm -rf "$san"
    fi
    # wall time per item, so the suite's 15-minute budget can be kept (summary at the end)
    times+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%7.1f", b - a }') s  $item")
    if [ $rc -ne 0 ]; then
        bad+=("$item")
        # a crash or non-zero exit with no failure counted still counts as one failure
        if ! printf '%s\n' "$out" | grep -qE 'Failures: [1-9]|Errors: [1-9]| [1-9][0-9]* failed'; then failed=$((failed + 1)); fi
    fi
done
echo "== wall time per item, slowest first:"
printf '%s\n' "${times[@]}" | sort -rn | head -15
[ ${#bad[@]} -eq 0 ] || echo "failing: ${bad[*]}"
echo "tests: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ ${#bad[@]} -eq 0 ]
