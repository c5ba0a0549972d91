#!/usr/bin/env bash
# test_install.sh - `make install` / `make uninstall` honour PREFIX and DESTDIR, install exactly the
# programs, and uninstall removes exactly them.
set -euo pipefail
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }

make -s BUILD="$BUILD" install DESTDIR="$tmp/root" PREFIX=/opt/df >/dev/null
[ -x "$tmp/root/opt/df/bin/dnnfuser" ] && ok "dnnfuser installed under DESTDIR/PREFIX/bin" || bad "dnnfuser not installed"
if "$tmp/root/opt/df/bin/dnnfuser" --version >/dev/null 2>&1; then ok "installed dnnfuser runs"; else bad "installed dnnfuser does not run"; fi
extra=$(cd "$tmp/root" && find . -type f | grep -v -E '^\./opt/df/bin/dnnfuserd?$' || true)
[ -z "$extra" ] && ok "nothing installed outside bin/" || bad "unexpected files: $extra"
make -s BUILD="$BUILD" uninstall DESTDIR="$tmp/root" PREFIX=/opt/df >/dev/null
left=$(find "$tmp/root" -type f | wc -l)
[ "$left" -eq 0 ] && ok "uninstall removes every installed file" || bad "$left files left after uninstall"
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
