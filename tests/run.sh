#!/usr/bin/env bash
# tests/run.sh - runs every Check unit binary and integration script given on the command line,
# keeps going after a failure, sums the checks each one reports, and ends with one line
# "tests: N passed, M failed" (exit 1 if anything failed). Used by `make test`.
set -u
passed=0; failed=0; bad=()
for t in "$@"; do
    echo "== $t"
    case "$t" in
        *.sh) out=$(BUILD="${BUILD:-build}" bash "$t" 2>&1); rc=$? ;;
        *)    out=$(CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-300}" "./$t" 2>&1); rc=$? ;;
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
    if [ $rc -ne 0 ]; then
        bad+=("$t"); 
        # a crash or non-zero exit with no failure counted still counts as one failure
        if ! printf '%s\n' "$out" | grep -qE 'Failures: [1-9]|Errors: [1-9]| [1-9][0-9]* failed'; then failed=$((failed + 1)); fi
    fi
done
[ ${#bad[@]} -eq 0 ] || echo "failing: ${bad[*]}"
echo "tests: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ ${#bad[@]} -eq 0 ]
