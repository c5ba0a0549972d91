#!/usr/bin/env bash
# check_leaks.sh - make check-leaks: tests/integration/test_daemon.sh with every daemon under
# valgrind --leak-check=full (lib.sh's DAEMON_PREFIX). Valgrind writes one log per process into a
# temporary directory (so the daemon's own log stays clean); afterwards every log must show no
# definitely or indirectly lost block and no memory error, and every daemon exited 0 (not 99, the
# error exit code). Valgrind makes the daemon 20-50x slower: the default deadline is raised through the
# environment (DNNFUSER_DEADLINE_MS) and test_daemon.sh's slow request is a lighter one (SLOW), so its
# timing checks keep their meaning. Several minutes; not part of make test.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${BUILD:-build}
VG=$(mktemp -d)
trap 'rm -rf "$VG"' EXIT
export OPENBLAS_NUM_THREADS=1 DNNFUSER_DEADLINE_MS=600000
export SLOW='{"workload":"resnet18","solver":"ga","ga":{"population":16,"generations":30,"seed":1}}'
export DAEMON_PREFIX="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --suppressions=$HERE/../valgrind.supp --log-file=$VG/vg.%p.log"
rc=0
BUILD=$BUILD bash "$HERE/../integration/test_daemon.sh" || rc=$?
pass=0
fail=0
for f in "$VG"/vg.*.log; do
    [ -e "$f" ] || continue
    lost=$(grep -E 'definitely lost: [1-9]|indirectly lost: [1-9]' "$f" || true)
    errs=$(grep -E 'ERROR SUMMARY: [1-9]' "$f" || true)
    summ=$(grep -E 'in use at exit:|definitely lost:|ERROR SUMMARY:' "$f" | sed -E 's/^==[0-9]+== +//; s/ \(suppressed.*//' | tr '\n' ';')
    if [ -z "$lost" ] && [ -z "$errs" ] && grep -q 'ERROR SUMMARY: 0' "$f"; then
        echo "ok - valgrind $(basename "$f"): $summ"
        pass=$((pass + 1))
    else
        echo "not ok - valgrind $(basename "$f"): $summ"
        sed -n '/definitely lost in/,/^==[0-9]*== $/p; /Invalid /,/^==[0-9]*== $/p' "$f" | head -60 | sed 's/^/#   /'
        fail=$((fail + 1))
    fi
done
[ "$pass" -gt 0 ] || { echo "not ok - no valgrind logs"; fail=$((fail + 1)); }
[ "$rc" -eq 0 ] && echo "ok - test_daemon.sh under valgrind passed" && pass=$((pass + 1)) \
    || { echo "not ok - test_daemon.sh under valgrind: exit $rc"; fail=$((fail + 1)); }
echo "check-leaks: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
