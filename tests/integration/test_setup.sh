#!/usr/bin/env bash
# test_setup.sh - the set-up contract of the Makefile (issue #10), on this machine: the README's
# two commands are the ones CI runs; `make deps GOALS` installs what GOALS need and no more; a missing
# library stops the build with one line naming the Debian package, never a link with empty flags;
# the daemon is built with sd_notify (the shipped units use Type=notify). The proof on a machine
# without the packages is tests/fresh/run.sh (make check-fresh), which needs root and minutes.
set -uo pipefail
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }

# --- the README's two commands -------------------------------------------------------------------
mapfile -t CMDS < <(bash tests/tools/readme_commands.sh README.md)
[ "${#CMDS[@]}" -eq 2 ] && ok "README's two-commands section has two command lines" || bad "README has ${#CMDS[@]} command lines there"
ci=$(grep -vE '^\s*(#|$|set |cd )' .ci/run | head -1)
[ "$ci" = "${CMDS[1]:-}" ] && ok ".ci/run first runs exactly the README's test command ($ci)" ||
    bad ".ci/run runs '$ci' first, the README's test command is '${CMDS[1]:-}'"
grep -qxF 'bash tests/fresh/run.sh run' .ci/run && ok ".ci/run then runs the README's run command in a pristine root" ||
    bad ".ci/run does not run the pristine-root check"
[[ "${CMDS[0]:-}" == "make deps all "* ]] && ok "the run command starts with make deps all" || bad "run command: ${CMDS[0]:-}"

# --- a bare `make` builds (the default goal is all, not the generated config.mk) -------------------
plan=$(make -n -W src/cli/main.c 2>/dev/null)
[[ "$plan" == *src/cli/main.c* ]] && ok "a bare make builds the CLI (default goal all)" ||
    bad "a bare make does not build the CLI: $(make -n 2>&1 | head -1)"

# --- which packages each command installs (make -n: nothing is installed) --------------------------
pk() { make -n "$@" 2>/dev/null | sed -nE 's/.*for p in ([^;]*); do.*/\1/p' | head -1 | xargs; }
run=$(pk deps all) tst=$(pk deps test) leaks=$(pk deps check-leaks) bench=$(pk deps bench)
for p in build-essential pkg-config libjansson-dev libmicrohttpd-dev libuv1-dev libopenblas-dev libsystemd-dev; do
    [[ " $run " == *" $p "* ]] || bad "make deps all does not install $p"
done
ok "make deps all installs the build and run packages ($run)"
extra=""; for p in check curl nginx-light chromium clang valgrind wrk help2man; do [[ " $run " == *" $p "* ]] && extra="$extra $p"; done
[ -z "$extra" ] && ok "make deps all installs no test-only package" || bad "make deps all installs test-only packages:$extra"
miss=""; for p in check curl nginx-light chromium systemd clang libclang-rt-14-dev help2man clang-format; do [[ " $tst " == *" $p "* ]] || miss="$miss $p"; done
[ -z "$miss" ] && ok "make deps test adds the test packages" || bad "make deps test lacks$miss"
[[ " $tst " != *" valgrind "* && " $tst " != *" wrk "* ]] && ok "make deps test installs neither valgrind nor wrk" || bad "make deps test: $tst"
[[ " $leaks " == *" valgrind "* ]] && [[ " $bench " == *" wrk "* ]] && ok "valgrind with check-leaks, wrk with bench" ||
    bad "check-leaks: $leaks / bench: $bench"

# --- a missing library stops the build with one line naming the package ---------------------------
mkdir -p "$tmp/nopc"
out=$(PKG_CONFIG_LIBDIR="$tmp/nopc" PKG_CONFIG_PATH= make --no-print-directory BUILD="$tmp/b1" all 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'install the Debian package libjansson-dev' <<<"$out" && ! grep -qE '^  (CC|LD) ' <<<"$out"; then
    ok "no jansson: stops before compiling, naming libjansson-dev"
else
    bad "no jansson: exit $rc, output: $(head -3 <<<"$out" | tr '\n' ' ')"
fi
# every library but Check: the programs build, a unit test stops with one line naming check
mkdir -p "$tmp/pc"
for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
    [ -d "$d" ] && for f in "$d"/*.pc; do [ -e "$f" ] && [ "$(basename "$f")" != check.pc ] && ln -sf "$f" "$tmp/pc/"; done
done
if PKG_CONFIG_LIBDIR="$tmp/pc" PKG_CONFIG_PATH= make --no-print-directory -j2 BUILD="$tmp/b2" "$tmp/b2/libdnnfuser.a" >/dev/null 2>&1; then
    ok "without Check the library builds"
else
    bad "without Check the library does not build"
fi
out=$(PKG_CONFIG_LIBDIR="$tmp/pc" PKG_CONFIG_PATH= make --no-print-directory BUILD="$tmp/b2" "$tmp/b2/tests/check_json" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'install the Debian package check' <<<"$out"; then ok "without Check a unit test stops, naming the package check"
else bad "without Check: exit $rc: $(tail -2 <<<"$out" | tr '\n' ' ')"; fi

# --- the daemon has sd_notify ----------------------------------------------------------------------
if [ -x "$BUILD/dnnfuserd" ] && grep -q libsystemd <<<"$(ldd "$BUILD/dnnfuserd")"; then ok "dnnfuserd links libsystemd (Type=notify works)"
else bad "dnnfuserd is built without libsystemd"; fi
grep -q -- '-DHAVE_LIBSYSTEMD' "$BUILD/config.mk" 2>/dev/null && ok "config.mk has -DHAVE_LIBSYSTEMD" || bad "config.mk lacks -DHAVE_LIBSYSTEMD"

echo "setup: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
