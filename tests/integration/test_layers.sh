#!/usr/bin/env bash
# test_layers.sh - the build refuses code that breaks the one-way flow of DESIGN §1 (issue #12):
# mk/layers.sh passes on the real tree, and fails, naming the culprit, on a copy of the tree with a
# deliberately upward call (core calling the exact solver), a sideways call (model calling solve) and
# an upward include (a core file including solve.h); and libmicrohttpd outside src/server/http.c (an
# include of microhttpd.h in routes.c, a call of an MHD_ function from another server object); and an
# include cycle among the server's modules (http.c including routes.h again, as before issue #12).
set -uo pipefail
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }

if out=$(sh mk/layers.sh "$BUILD" . 2>&1); then ok "the tree as it is passes the layer check"
else bad "the tree fails the layer check: $(head -3 <<<"$out")"; fi

# a copy of the objects and sources, to spoil
mkdir -p "$tmp/b" "$tmp/t"
cp -r "$BUILD/src" "$tmp/b/"
cp -r src include "$tmp/t/"
printf '#include <stddef.h>\nint df_solve_lbl(const void *, int, void *, void *, void *);\nint bad_upward(void) { return df_solve_lbl(NULL, 0, NULL, NULL, NULL); }\n' >"$tmp/up.c"
$CC -c -o "$tmp/b/src/core/zz_upward.o" "$tmp/up.c"
out=$(sh mk/layers.sh "$tmp/b" "$tmp/t" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'zz_upward.o (core) uses df_solve_lbl, defined in solve' <<<"$out"; then ok "an upward call (core -> solve) fails the build, naming it"
else bad "upward call not refused (exit $rc): $(head -2 <<<"$out")"; fi
rm "$tmp/b/src/core/zz_upward.o"
$CC -c -o "$tmp/b/src/model/zz_sideways.o" "$tmp/up.c"
out=$(sh mk/layers.sh "$tmp/b" "$tmp/t" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'zz_sideways.o (model) uses df_solve_lbl, defined in solve: model may use only model core' <<<"$out"; then
    ok "a sideways call (model -> solve) fails the build"
else bad "sideways call not refused (exit $rc): $(head -2 <<<"$out")"; fi
rm "$tmp/b/src/model/zz_sideways.o"
f=$(ls "$tmp"/t/src/core/*.c | head -1)
sed -i '1i #include "dnnfuser/solve.h"' "$f"
out=$(sh mk/layers.sh "$tmp/b" "$tmp/t" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "$(basename "$f") (core) includes dnnfuser/solve.h (solve)" <<<"$out"; then ok "an upward include fails the build"
else bad "upward include not refused (exit $rc): $(head -2 <<<"$out")"; fi

sed -i '1d' "$f" # the upward include undone
cp "$tmp/t/src/server/routes.c" "$tmp/routes.c.orig"
sed -i '1i #include <microhttpd.h>' "$tmp/t/src/server/routes.c"
out=$(sh mk/layers.sh "$tmp/b" "$tmp/t" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "src/server/routes.c includes microhttpd.h: only src/server/http.c may" <<<"$out"; then
    ok "microhttpd.h included outside http.c fails the build, naming the file"
else bad "microhttpd.h in routes.c not refused (exit $rc): $(head -2 <<<"$out")"; fi
cp "$tmp/routes.c.orig" "$tmp/t/src/server/routes.c"
printf 'const char *MHD_get_version(void);\nconst char *bad_mhd(void) { return MHD_get_version(); }\n' >"$tmp/mhd.c"
$CC -c -o "$tmp/b/src/server/zz_mhd.o" "$tmp/mhd.c"
out=$(sh mk/layers.sh "$tmp/b" "$tmp/t" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "zz_mhd.o calls MHD_get_version: only src/server/http.c may" <<<"$out"; then
    ok "an MHD_ call from a server object other than http.o fails the build"
else bad "an MHD_ call outside http.c not refused (exit $rc): $(head -2 <<<"$out")"; fi
rm "$tmp/b/src/server/zz_mhd.o"
cp "$tmp/t/src/server/http.c" "$tmp/http.c.orig"
sed -i '1i #include "routes.h"' "$tmp/t/src/server/http.c"
out=$(sh mk/layers.sh "$tmp/b" "$tmp/t" 2>&1); rc=$?
loop=$(grep "src/server modules include each other in a loop" <<<"$out")
if [ $rc -ne 0 ] && grep -q "http" <<<"$loop" && grep -q "routes" <<<"$loop"; then
    ok "an include cycle among the server's modules (http <-> routes) fails the build, naming them"
else bad "the http <-> routes include cycle not refused (exit $rc): $(head -2 <<<"$out")"; fi
cp "$tmp/http.c.orig" "$tmp/t/src/server/http.c"
if out=$(sh mk/layers.sh "$tmp/b" "$tmp/t" 2>&1); then ok "the restored copy passes again"
else bad "the restored copy fails: $(head -2 <<<"$out")"; fi

echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
