#!/usr/bin/env bash
# test_format.sh - the C sources keep the style of .clang-format (issue #12 item 6): clang-format 14
# (Debian's clang-format package, a test package of make deps) changes nothing in any tracked .c or .h
# file. Fix a failure with: clang-format -i $(git ls-files '*.c' '*.h')
# Usage: bash tests/integration/test_format.sh   (a few seconds)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
if ! command -v clang-format >/dev/null; then
    not_ok "clang-format not installed: install the Debian package clang-format (make deps test)"
else
    mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests tools -name '*.[ch]')
    bad=()
    for f in "${files[@]}"; do clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f"); done
    if [ "${#bad[@]}" -eq 0 ]; then ok "${#files[@]} C files formatted as .clang-format says"
    else not_ok "${#bad[@]} of ${#files[@]} files not formatted: ${bad[*]:0:8}"; fi
    # the check can fail: a copy with one line misformatted is refused
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    cp .clang-format "$tmp/"; printf 'int  f( void ){return 0;}\n' >"$tmp/x.c"
    if (cd "$tmp" && ! clang-format --dry-run --Werror x.c >/dev/null 2>&1); then ok "a misformatted file is refused"
    else not_ok "a misformatted file passed"; fi
fi
echo "format: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
