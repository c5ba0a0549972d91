#!/usr/bin/env bash
# test_readme.sh - every command of README.md runs as written: the `./build/dnnfuser ...`, `curl ...`
# and `python3 examples/...` lines of its indented code blocks (with their `\` continuations) are
# extracted and run from a scratch directory that links build/, examples/ and tests/ of the tree, so
# the files they write (sweep.csv, map.svg, ...) land there. The one change: the daemon they talk to
# is started here on a free port, which replaces 127.0.0.1:8080 in the curl lines. A command passes
# when it exits 0 and, for curl, its body is not a problem+json (a batch item may be one: a budget too
# small for one grid point is that point's answer). Also: examples/sweep_client.py exits
# non-zero, with each distinct error once, when no budget gives a mapping, and takes an ONNX file.
# The build lines (`make ...`) and the daemon's own start line are not run here (make test is).
# Usage: BUILD=build bash tests/integration/test_readme.sh   (about 10 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
BUILD_ABS=$(cd "$BUILD" && pwd)

daemon_start a --workers 2
PORT=${DPORT[a]}
WORK="$TMP/work"
mkdir -p "$WORK"
ln -s "$BUILD_ABS" "$WORK/build"
ln -s "$ROOT/examples" "$WORK/examples"
ln -s "$ROOT/tests" "$WORK/tests"

# the commands: indented lines of README.md starting with ./build/dnnfuser, curl or python3, joined
# with their continuation lines; "# comment" tails are kept (the shell ignores them)
awk '
    /^    / { line = substr($0, 5) } !/^    / { line = "" }
    cont { cmd = cmd "\n" line; if (line !~ /\\$/) { print cmd; printf "%c", 0; cont = 0 }; next }
    line ~ /^(\.\/build\/dnnfuser |curl |python3 examples\/)/ {
        cmd = line; if (line ~ /\\$/) cont = 1; else { print cmd; printf "%c", 0 }
    }' "$ROOT/README.md" >"$TMP/cmds"
n=0
while IFS= read -r -d '' cmd; do
    cmd=${cmd#$'\n'}
    [ -n "$cmd" ] || continue
    n=$((n + 1))
    if [[ $cmd == python3* ]] && ! command -v python3 >/dev/null; then echo "# skip (no python3): $cmd"; continue; fi
    run=${cmd//127.0.0.1:8080/127.0.0.1:$PORT}
    rc=0
    (cd "$WORK" && bash -c "$run") >"$TMP/out" 2>"$TMP/err" || rc=$?
    short=$(printf '%s' "$cmd" | head -1 | cut -c1-110)
    if [ "$rc" -ne 0 ]; then
        not_ok "README: $short (exit $rc: $(head -c 200 "$TMP/err"))"
    elif [[ $cmd == curl* ]] && grep -q '^{"type":"https://dnnfuser.dev/problems/' "$TMP/out"; then
        not_ok "README: $short (a problem: $(head -c 200 "$TMP/out"))"
    else
        ok "README: $short"
    fi
done <"$TMP/cmds"
[ "$n" -ge 15 ] && ok "README: $n commands found and run" || not_ok "README: only $n commands found"

# sweep_client.py (an example client in Python; CI needs no Python: skipped without python3)
if command -v python3 >/dev/null; then
# no budget fits -> exit 1, the error said once; an ONNX model -> a table and a knee
rc=0
python3 "$ROOT/examples/sweep_client.py" --url "http://127.0.0.1:$PORT" --budgets 1KiB,2KiB,4KiB >"$TMP/out" 2>"$TMP/err" || rc=$?
if [ "$rc" -eq 1 ] && [ "$(grep -c 'too small' "$TMP/err")" -eq 1 ] && grep -q 'no budget gave a mapping' "$TMP/err"; then
    ok "sweep_client: no budget fits -> exit 1, the error once"; else not_ok "sweep_client all-fail: exit $rc, $(cat "$TMP/err")"; fi
rc=0
python3 "$ROOT/examples/sweep_client.py" --url "http://127.0.0.1:$PORT" --workload "$ROOT/tests/fixtures/onnx/resnet18.onnx" \
    --budgets 256KiB,1MiB,4MiB >"$TMP/out" 2>"$TMP/err" || rc=$?
if [ "$rc" -eq 0 ] && grep -q 'knee' "$TMP/out" && [ "$(grep -c ' yes ' "$TMP/out")" -eq 3 ]; then
    ok "sweep_client takes an ONNX model file"; else not_ok "sweep_client ONNX: exit $rc $(head -c 300 "$TMP/err")"; fi
rc=0
python3 "$ROOT/examples/sweep_client.py" --url "http://127.0.0.1:$PORT" --batch 0 >"$TMP/out" 2>"$TMP/err" || rc=$?
if [ "$rc" -eq 2 ] && grep -q 'HTTP 4[0-9][0-9]' "$TMP/err"; then
    ok "sweep_client: an invalid base is a 4xx for the whole call, exit 2"; else not_ok "sweep_client bad base: exit $rc $(cat "$TMP/err")"; fi
else
    echo "# skip: python3 not installed; examples/sweep_client.py not run"
fi

daemon_signal a TERM
daemon_wait a 20
finish readme
