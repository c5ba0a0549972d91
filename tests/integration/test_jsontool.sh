#!/usr/bin/env bash
# test_jsontool.sh - the test helper tests/tools/jsontool does fail: each schema rule the contract
# uses rejects a document that breaks it, YAML scalars are typed as YAML 1.2 types them, `same`
# reports the first difference and honours the masked keys.
set -uo pipefail
BUILD=${BUILD:-build}
J=$BUILD/tools/jsontool
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }
[ -x "$J" ] || { bad "$J not built (make unit-bins)"; echo "jsontool: $pass passed, $fail failed"; exit 1; }

cat >"$tmp/c.yaml" <<'YAML'
openapi: 3.0.3
components:
  schemas:
    Doc:
      type: object
      required: [name, n]
      additionalProperties: false
      properties:
        name: {type: string, enum: [a, b]}
        n: {type: integer, minimum: 1, maximum: 8}
        x: {type: number, nullable: true}
        tags: {type: array, minItems: 1, items: {type: string}}
        kind: {$ref: '#/components/schemas/Kind'}
        any: {anyOf: [{type: string}, {type: integer}]}
        extra: {type: object, additionalProperties: {type: boolean}}
        quoted: {type: string, enum: ['1', "true"]}
    Kind:
      type: string
      enum: [red, green]
YAML
check() { # NAME JSON WANT_RC [PATTERN]
    printf '%s' "$2" >"$tmp/d.json"
    out=$("$J" schema "$tmp/c.yaml" Doc "$tmp/d.json" 2>&1); rc=$?
    if [ $rc -eq "$3" ] && { [ -z "${4:-}" ] || grep -q -- "$4" <<<"$out"; }; then ok "$1"; else bad "$1 (exit $rc: $out)"; fi
}
check "a valid document passes" '{"name":"a","n":3,"x":null,"tags":["t"],"kind":"red","any":4,"extra":{"k":true},"quoted":"1"}' 0
check "missing required field" '{"name":"a"}' 1 '/n: required field missing'
check "wrong type" '{"name":"a","n":"3"}' 1 '/n: not of type integer'
check "enum" '{"name":"c","n":3}' 1 '/name: "c" is not one of the enum values'
check "minimum" '{"name":"a","n":0}' 1 '/n: 0 is below the minimum'
check "maximum" '{"name":"a","n":9}' 1 '/n: 9 is above the maximum'
check "additionalProperties false" '{"name":"a","n":1,"zz":1}' 1 '/zz: field not in the schema'
check "additionalProperties schema" '{"name":"a","n":1,"extra":{"k":1}}' 1 '/extra/k: not of type boolean'
check "minItems" '{"name":"a","n":1,"tags":[]}' 1 '/tags: fewer items'
check "items" '{"name":"a","n":1,"tags":[1]}' 1 '/tags/0: not of type string'
check "\$ref" '{"name":"a","n":1,"kind":"blue"}' 1 '/kind: "blue" is not one of'
check "anyOf" '{"name":"a","n":1,"any":[1]}' 1 '/any: matches none of the anyOf'
check "nullable only where declared" '{"name":null,"n":1}' 1 '/name: not of type string'
check "quoted YAML scalars stay strings" '{"name":"a","n":1,"quoted":"true"}' 0
"$J" schema "$tmp/c.yaml" Nope "$tmp/d.json" >/dev/null 2>&1; [ $? -eq 2 ] && ok "an unknown schema is a usage error" || bad "unknown schema"
printf 'a: [1, 2\n' >"$tmp/bad.yaml"
"$J" schema "$tmp/bad.yaml" Doc "$tmp/d.json" >/dev/null 2>&1; [ $? -eq 2 ] && ok "broken YAML is refused" || bad "broken YAML accepted"

printf '{"a":1,"t":{"ms":3},"l":[1,2]}' >"$tmp/1.json"
printf '{"a":1,"t":{"ms":4},"l":[1,2]}' >"$tmp/2.json"
printf '{"a":1,"t":{"ms":4},"l":[1,3]}' >"$tmp/3.json"
"$J" same "$tmp/1.json" "$tmp/2.json" t >/dev/null && ok "same: masked key's values ignored" || bad "same with mask"
out=$("$J" same "$tmp/1.json" "$tmp/2.json"); [ $? -eq 1 ] && grep -q '^/t/ms: 3 vs 4' <<<"$out" && ok "same: first difference as a pointer" || bad "same: $out"
out=$("$J" same "$tmp/1.json" "$tmp/3.json" t); [ $? -eq 1 ] && grep -q '^/l/1: 2 vs 3' <<<"$out" && ok "same: differences outside the mask still count" || bad "same: $out"
printf '{"a":1,"t":{"ms":3,"x":1},"l":[1,2]}' >"$tmp/4.json"
"$J" same "$tmp/1.json" "$tmp/4.json" t >/dev/null; [ $? -eq 1 ] && ok "same: a masked object's key set is compared" || bad "same: key set"
[ "$(printf '[{"name":"x"},{"name":"y"}]' | "$J" pluck name | tr '\n' ' ')" = "x y " ] && ok "pluck" || bad "pluck"

echo "jsontool: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
