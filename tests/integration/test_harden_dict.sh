#!/usr/bin/env bash
# test_harden_dict.sh - the fuzz dictionary (tests/fuzz/request_keys.dict) stays in step with the
# parsers: every key of every key table in src/server/request.c and src/core/json.c (the
# `*_keys[] = {...}` arrays) has its "key": entry, and every line of the dictionary is in libFuzzer's
# format (name="value" with only \" \\ \xHH escapes). No daemon needed.
# Usage: bash tests/integration/test_harden_dict.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DICT=$ROOT/tests/fuzz/request_keys.dict
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

[ -f "$DICT" ] && ok "dictionary present" || { not_ok "no $DICT"; echo "dict: $pass passed, $fail failed"; exit 1; }
# the string literals of the key tables, which may span lines
keys=$(for f in "$ROOT/src/server/request.c" "$ROOT/src/core/json.c"; do
    awk '/_keys\[\] = \{/ { on = 1 } on { print } on && /\};/ { on = 0 }' "$f"
done | grep -oE '"[A-Za-z_]+"' | tr -d '"' | sort -u)
n=0
missing=()
for k in $keys; do
    n=$((n + 1))
    grep -qF "=\"\\\"$k\\\":\"" "$DICT" || missing+=("$k")
done
[ "$n" -ge 40 ] && ok "$n keys found in the parsers' key tables" || not_ok "only $n keys found in the key tables"
[ ${#missing[@]} -eq 0 ] && ok "every key has its dictionary entry" || not_ok "keys missing from the dictionary: ${missing[*]}"
bad=$(grep -vE '^(#.*|)$' "$DICT" | grep -vE '^[A-Za-z0-9_]+="([^"\\]|\\"|\\\\|\\x[0-9A-Fa-f]{2})*"$' || true)
[ -z "$bad" ] && ok "every entry is in libFuzzer's format" || not_ok "malformed entries: $bad"
echo "dict: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
