#!/usr/bin/env python3
"""Print DeFiNES's shipped workloads as Markdown tables (dev-time tool: writes docs/defines/workloads.md).

Owns: reading the workload dicts of a DeFiNES checkout (inputs/WL/<hw>/workload_*.py, imported at run time,
nothing copied) and listing per layer the loop sizes, strides and implied input size, so that dnnfuser's zoo
can define the very same layers, and writing them as dnnfuser workload JSON.
usage: dump_workloads.py DEFINES_DIR [HW_FOLDER] > workloads.md
       dump_workloads.py --json NAME DEFINES_DIR [HW_FOLDER] > wl_NAME.json
In JSON, where dnnfuser cannot express a DeFiNES operand (an add whose skip input is larger, or has fewer
channels, than its output: DeFiNES reads a window of it), a stand-in layer is inserted and named
"standin_*": a pool (window d+1, stride 1) for a pure crop of d rows/cols, a dwconv (channel multiplier,
window and stride chosen to land on the add's shape) when channels differ too. Listed in workloads.md.
"""
import json
import importlib
import math
import re
import sys


def strides(layer):
    """(sx, sy, dx, dy) from equation_relations like 'ix=2*ox+1*fx' (stride 2, dilation 1)."""
    sx = sy = dx = dy = 1
    for rel in layer.get("equation_relations", []):
        m = re.fullmatch(r"\s*i([xy])\s*=\s*(\d+)\s*\*\s*o[xy]\s*\+\s*(\d+)\s*\*\s*f([xy])\s*", rel)
        if not m:
            continue
        if m.group(1) == "x":
            sx, dx = int(m.group(2)), int(m.group(3))
        else:
            sy, dy = int(m.group(2)), int(m.group(3))
    return sx, sy, dx, dy


def kind(layer):
    eq = layer["equation"].replace(" ", "")
    d = layer["loop_dim_size"]
    if eq == "input":
        return "input"
    if "W[" not in eq:
        return "add"            # O = X + Y
    if "G" in d and "W[g]" in eq:
        return "depthwise conv"
    if "G" in d:
        return "pool"           # W[fx][fy] with no channel index: a pooling window, counted as MAC-like ops
    if d.get("FX", 1) == 1 and d.get("FY", 1) == 1:
        return "1x1 conv / FC"
    return "conv"


def to_dnnfuser(name, wl):
    """dnnfuser workload dict for a DeFiNES workload dict (layers in id order; -1 = network input)."""
    out, index, shape = [], {}, {}  # shape[id] = (channels, rows Y, cols X) of a layer's output

    def add_layer(lid, layer_json, oshape):
        index[lid] = len(out)
        out.append(layer_json)
        shape[lid] = oshape

    for lid, layer in wl.items():
        d = layer["loop_dim_size"]
        k = kind(layer)
        if k == "input":
            shape[-1] = None  # the network input takes the first consumer's implied shape
            continue
        sx, sy, dx, dy = strides(layer)
        fx, fy = d.get("FX", 1), d.get("FY", 1)
        ix = (d["OX"] - 1) * sx + (fx - 1) * dx + 1
        iy = (d["OY"] - 1) * sy + (fy - 1) * dy + 1
        srcs = [s for v in layer.get("operand_source", {}).values() for s in v]
        ins = [index.get(s, -1) for s in srcs]
        base = {"name": f"l{lid}"}
        if k == "add":
            ch = d["G"]
            fixed = []
            for s_id, s_idx in zip(srcs, ins):
                c, y, x = shape[s_id]
                if (c, y, x) == (ch, d["OY"], d["OX"]):
                    fixed.append(s_idx)
                    continue
                if c == ch and (y - d["OY"]) == (x - d["OX"]) and y > d["OY"]:
                    w = y - d["OY"] + 1
                    sl = {"name": f"standin_crop_{s_id}_to_{lid}", "type": "pool", "K": c, "C": c, "Y": y, "X": x,
                          "R": w, "S": w, "inputs": [s_idx]}
                else:  # channel multiplier + stride: dwconv with window r, stride 2 landing on the add's shape
                    st = 2
                    r = y - (d["OY"] - 1) * st
                    sl = {"name": f"standin_shortcut_{s_id}_to_{lid}", "type": "dwconv", "K": ch, "C": c, "Y": y,
                          "X": x, "R": r, "S": r, "stride": st, "groups": c, "inputs": [s_idx]}
                out.append(sl)
                fixed.append(len(out) - 1)
            add_layer(lid, {**base, "type": "add", "K": ch, "C": ch, "Y": d["OY"], "X": d["OX"], "inputs": fixed},
                      (ch, d["OY"], d["OX"]))
            continue
        src = srcs[0]
        if shape.get(src) is None:
            c_in = d.get("C", d.get("G"))
            shape[src] = (c_in, iy, ix)
        c_in = shape[src][0]
        if k in ("pool", "depthwise conv"):
            ch = d["G"]
            j = {**base, "type": "pool" if k == "pool" else "dwconv", "K": ch, "C": ch, "Y": iy, "X": ix,
                 "R": fy, "S": fx}
            if k != "pool":
                j["groups"] = ch
            oshape = (ch, d["OY"], d["OX"])
        elif d["OX"] == 1 and d["OY"] == 1 and fx == 1 and fy == 1 and shape[src][1] == 1:
            j = {**base, "type": "fc", "K": d["K"], "C": d["C"]}
            oshape = (d["K"], 1, 1)
        else:
            j = {**base, "type": "conv", "K": d["K"], "C": d["C"], "Y": iy, "X": ix, "R": fy, "S": fx}
            oshape = (d["K"], d["OY"], d["OX"])
        if sx > 1:
            j["stride"] = sx
        j["inputs"] = [ins[0]]
        add_layer(lid, j, oshape)
    return {"name": f"defines_{name}", "layers": out}


def main():
    if sys.argv[1] == "--json":
        name, root = sys.argv[2], sys.argv[3]
        hw = sys.argv[4] if len(sys.argv) > 4 else "Meta_prototype"
        sys.path.insert(0, root)
        wl = importlib.import_module(f"inputs.WL.{hw}.workload_{name}").workload
        w = to_dnnfuser(name, wl)
        print("{\n  \"name\": " + json.dumps(w["name"]) + ",\n  \"layers\": [")
        print(",\n".join("    " + json.dumps(l) for l in w["layers"]))
        print("  ]\n}")
        return
    root = sys.argv[1]
    hw = sys.argv[2] if len(sys.argv) > 2 else "Meta_prototype"
    sys.path.insert(0, root)
    names = ["fsrcnn", "resnet18", "mobilenetv1", "mccnn", "dmcnnvd"]
    print("# DeFiNES workloads, layer by layer\n")
    print(f"Generated by `docs/defines/dump_workloads.py DEFINES_DIR {hw}` from `inputs/WL/{hw}/workload_*.py` of the")
    print("DeFiNES checkout named in README.md. Loop names are DeFiNES's: K output channels, C input channels, G groups")
    print("(depthwise / pooling / add: one channel per group), OX x OY output width x height, FX x FY kernel;")
    print("stride s and dilation d from `equation_relations` (`ix = s*ox + d*fx`). `in (implied)` = (O-1)*s + (F-1)*d + 1,")
    print("the input extent the layer actually reads: DeFiNES writes every layer **without padding** (its shapes grow")
    print("backwards from the output), so this is the shape to copy, not the nominal `input` node size.")
    print("Precision: 8-bit weights and activations, 16-bit partial sums, for every layer. MACs = product of the loops;")
    print("for `pool` rows the same product counts window operations.\n")
    for n in names:
        try:
            wl = importlib.import_module(f"inputs.WL.{hw}.workload_{n}").workload
        except ModuleNotFoundError:
            continue
        total = 0
        print(f"## {n}\n")
        print("| id | kind | K | C | G | OX x OY | FX x FY | s | in (implied) X x Y | from | MACs |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for lid, layer in wl.items():
            d = layer["loop_dim_size"]
            k = kind(layer)
            if k == "input":
                print(f"| {lid} | input (declared) | {d.get('K', '')} | | | {d['OX']} x {d['OY']} | | | | | |")
                continue
            sx, sy, dx, dy = strides(layer)
            fx, fy = d.get("FX", 1), d.get("FY", 1)
            ix = (d["OX"] - 1) * sx + (fx - 1) * dx + 1
            iy = (d["OY"] - 1) * sy + (fy - 1) * dy + 1
            macs = math.prod(d.values()) if k != "add" else 0
            if k != "pool":
                total += macs
            src = ",".join(str(s) for v in layer.get("operand_source", {}).values() for s in v)
            s = f"{sx}" if sx == sy else f"{sx}x{sy}"
            print(f"| {lid} | {k} | {d.get('K', '')} | {d.get('C', '')} | {d.get('G', '')} | {d['OX']} x {d['OY']} | "
                  f"{fx} x {fy} | {s} | {ix} x {iy} | {src} | {macs:,} |")
        print(f"\nTotal MACs (conv, depthwise, FC; pool window ops listed per layer but not summed): {total:,}\n")


if __name__ == "__main__":
    main()
