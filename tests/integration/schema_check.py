#!/usr/bin/env python3
"""schema_check.py - validates JSON documents against a schema of api/openapi.yaml (test time only;
needs python3-yaml from Debian, nothing else). A small JSON Schema subset, the one the contract
uses: $ref, type (also lists, 'null'), nullable, enum, required, properties, additionalProperties,
items, minItems, oneOf/anyOf/allOf (oneOf read as anyOf), minimum/maximum. Exit 0 when every file is valid; else one
line per violation ("FILE: /pointer: reason") and exit 1.

usage: schema_check.py OPENAPI.yaml SCHEMA FILE.json [FILE.json ...]"""
import json
import sys

import yaml

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def resolve(root, s):
    while isinstance(s, dict) and "$ref" in s:
        node = root
        for part in s["$ref"].lstrip("#/").split("/"):
            node = node[part]
        s = node
    return s


def check(root, schema, v, ptr, errs):
    s = resolve(root, schema)
    if not isinstance(s, dict):
        return
    if v is None and s.get("nullable"):
        return
    t = s.get("type")
    if t is not None:
        ts = t if isinstance(t, list) else [t]
        if not any(TYPES[x](v) for x in ts):
            errs.append(f"{ptr or '/'}: {type(v).__name__} {json.dumps(v)[:60]} is not {'/'.join(ts)}")
            return
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{ptr or '/'}: {json.dumps(v)[:60]} not in {s['enum']}")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and v < s["minimum"]:
            errs.append(f"{ptr}: {v} below minimum {s['minimum']}")
        if "maximum" in s and v > s["maximum"]:
            errs.append(f"{ptr}: {v} above maximum {s['maximum']}")
    for sub in s.get("allOf", []):
        check(root, sub, v, ptr, errs)
    for key in ("oneOf", "anyOf"):
        if key in s:
            results = []
            for sub in s[key]:
                e = []
                check(root, sub, v, ptr, e)
                results.append(e)
            n_ok = sum(1 for e in results if not e)
            if n_ok == 0:  # oneOf is read as anyOf: the contract's alternatives may overlap
                best = min(results, key=len)
                errs.append(f"{ptr or '/'}: matches {n_ok} of the {key} alternatives" + (f" ({best[0]})" if best else ""))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{ptr}/{k}: required field missing")
        props = s.get("properties", {})
        for k, x in v.items():
            if k in props:
                check(root, props[k], x, f"{ptr}/{k}", errs)
            elif s.get("additionalProperties") is False:
                errs.append(f"{ptr}/{k}: field not in the schema")
            elif isinstance(s.get("additionalProperties"), dict):
                check(root, s["additionalProperties"], x, f"{ptr}/{k}", errs)
    if isinstance(v, list):
        if "minItems" in s and len(v) < s["minItems"]:
            errs.append(f"{ptr}: fewer than {s['minItems']} items")
        if "items" in s:
            for i, x in enumerate(v):
                check(root, s["items"], x, f"{ptr}/{i}", errs)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        root = yaml.safe_load(f)
    schema = {"$ref": f"#/components/schemas/{sys.argv[2]}"}
    try:
        resolve(root, schema)
    except KeyError:
        print(f"{sys.argv[1]}: no schema {sys.argv[2]}", file=sys.stderr)
        return 2
    bad = 0
    for path in sys.argv[3:]:
        with open(path) as f:
            doc = json.load(f)
        errs = []
        check(root, schema, doc, "", errs)
        for e in errs:
            print(f"{path}: {e}")
        bad |= bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
