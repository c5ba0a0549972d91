#!/usr/bin/python3
"""onnx_coverage.py - does the ONNX importer take the models people bring? (issue 16)

DEV-TIME ONLY (CI never runs Python). Needs Debian 12's python3-torch (1.13), python3-torchvision
(0.14) and python3-onnx (1.12). Run from the repository root after `make`:

    /usr/bin/python3 tools/onnx_coverage.py export [--out DIR] [MODEL ...]   # default DIR /tmp/onnx_coverage
    /usr/bin/python3 tools/onnx_coverage.py table  [--out DIR] [--md docs/onnx_coverage.md] [MODEL ...]

export: every torchvision.models classification model (list_models) and every segmentation model
(FCN, DeepLabV3, LR-ASPP), random weights (weights=None), eval mode, input 1x3x224x224 (inception_v3
1x3x299x299), exported WITHOUT parameters (export_params=False: weights become graph inputs carrying
only their shapes) at opset 13 and opset 17, to DIR/<model>.op<N>.onnx. Nothing goes into the repo.

table: for each file (of the MODELs given, else all), an independent count of multiply-accumulates from onnx's shape inference
(onnx.shape_inference.infer_shapes with data propagation), then `build/dnnfuser layers --json -w FILE`
(import + cost model) and `build/dnnfuser map -w FILE` (import + solve); writes the Markdown table.
The independent count is cached in DIR/<model>.op<N>.onnx.ref.json (it depends on the file only).

MAC counting convention (per sample, the export batch being 1), the one df_layer_macs uses:
  Conv           N*K*P*Q * (C/group) * kH * kW     (bias, dilation, padding add nothing)
  ConvTranspose  N*C*H*W * (K/group) * kH * kW     (every input pixel scatters one kernel)
  Gemm / MatMul  prod(output dims) * reduction length (weight or activation operand alike: Q.K^T and
                 attention.V count as MACs)
  everything else (pooling, element-wise, normalisation, softmax, resize, layout) 0 MACs: those are
  costed as vector work and data movement, not MACs. Only nodes that depend on the network input count:
  a constant subgraph (shape arithmetic, attention masks, swin_v2's relative-position MLP on a fixed
  table) is computed once, not per sample, and the importer folds it.
"""
import argparse
import json
import os
import subprocess
import sys
import time

OPSETS = (13, 17)


def all_models():
    import torchvision.models as m
    cls = m.list_models(module=m)
    seg = m.list_models(module=m.segmentation)
    return [(n, "classification") for n in cls] + [(n, "segmentation") for n in seg]


def build(name, kind):
    import torchvision.models as m
    if kind == "segmentation":
        return getattr(m.segmentation, name)(weights=None, weights_backbone=None, aux_loss=False)
    kw = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kw.update(aux_logits=False, init_weights=False)
    return m.get_model(name, **kw)


def zero_symbolic(g, self):
    """aten::zero (swin_v2's qkv_bias[length:2 * length].zero_()) has no ONNX symbolic in torch 1.13:
    x * 0 is the same tensor of zeros."""
    import torch
    return g.op("Mul", self, g.op("Constant", value_t=torch.tensor(0.0)))


def export(args):
    import torch
    for op in OPSETS:
        torch.onnx.register_custom_op_symbolic("aten::zero", zero_symbolic, op)
    os.makedirs(args.out, exist_ok=True)
    todo = [(n, k) for n, k in all_models() if not args.models or n in args.models]
    for name, kind in todo:
        paths = [os.path.join(args.out, f"{name}.op{op}.onnx") for op in OPSETS]
        if all(os.path.exists(p) for p in paths) and not args.force:
            continue
        t0 = time.time()
        try:
            # not under torch.no_grad(): with gradients off, eval-mode nn.MultiheadAttention (vit_*) takes
            # the fused aten::_native_multi_head_attention path, which has no ONNX export
            model = build(name, kind).eval()
            size = 299 if name == "inception_v3" else 224
            x = torch.randn(1, 3, size, size)
            for op, path in zip(OPSETS, paths):
                torch.onnx.export(model, x, path + ".tmp", export_params=False, opset_version=op,
                                  input_names=["input"], output_names=["output"], do_constant_folding=True)
                os.replace(path + ".tmp", path)
            del model
            print(f"{name}: exported in {time.time() - t0:.1f} s", flush=True)
        except Exception as e:  # report and go on: the table marks a missing export
            print(f"{name}: EXPORT FAILED: {e}", flush=True)


def dims(vi):
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    out = []
    for d in t.shape.dim:
        if not d.HasField("dim_value"):
            return None
        out.append(d.dim_value)
    return out


def prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


FOLDABLE = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Add", "Sub", "Mul", "Div", "Slice",
            "Range", "Equal", "Where", "Expand", "ConstantOfShape", "Reshape", "Transpose", "Mod", "Floor", "Ceil",
            "Neg", "Abs", "Less", "Greater", "Identity", "Sqrt", "Max", "Min", "Not", "Size"}


def fold_shapes(model):
    """Shape subgraphs by numpy: evaluates every FOLDABLE node whose inputs are known (Constant nodes, or
    Shape of a tensor whose shape onnx inference knows), turns its outputs into Constant nodes, and infers
    again until nothing changes. onnx's own data propagation stops at Gather/Div/Slice on shapes, so
    Reshape targets computed from x.size() would stay unknown. Independent of the C importer."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, shape_inference
    for _ in range(64):
        model = shape_inference.infer_shapes(model, data_prop=True)
        g = model.graph
        shapes = {}
        for vi in list(g.input) + list(g.value_info) + list(g.output):
            shapes[vi.name] = dims(vi)
        vals = {}
        for n in g.node:
            if n.op_type == "Constant":
                vals[n.output[0]] = numpy_helper.to_array(n.attribute[0].t) if n.attribute[0].type == 4 else None
        new_nodes, changed = [], False
        for n in g.node:
            if n.op_type not in FOLDABLE:
                new_nodes.append(n)
                continue
            ins = [vals.get(i) if i else None for i in n.input]
            at = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            try:
                out = None
                if n.op_type == "Shape" and shapes.get(n.input[0]) is not None:
                    sh = shapes[n.input[0]]
                    out = np.array(sh[at.get("start", 0):at.get("end", len(sh))], dtype=np.int64)
                elif n.op_type == "Size" and shapes.get(n.input[0]) is not None:
                    out = np.array(prod(shapes[n.input[0]]), dtype=np.int64)
                elif all(v is not None for i, v in zip(n.input, ins) if i) and n.input:
                    out = eval_node(n.op_type, [v for v in ins], at)
            except Exception:
                out = None
            if out is None:
                new_nodes.append(n)
                continue
            changed = True
            vals[n.output[0]] = out
            new_nodes.append(helper.make_node("Constant", [], [n.output[0]], value=numpy_helper.from_array(np.asarray(out))))
        if not changed:
            return model
        del g.node[:]
        g.node.extend(new_nodes)
        # drop stale value_info so inference recomputes downstream shapes
        del g.value_info[:]
    return model


def eval_node(op, x, at):
    import numpy as np
    if op in ("Identity", "Floor", "Ceil", "Neg", "Abs", "Sqrt", "Not"):
        f = {"Identity": lambda a: a, "Floor": np.floor, "Ceil": np.ceil, "Neg": np.negative, "Abs": np.abs,
             "Sqrt": np.sqrt, "Not": np.logical_not}[op]
        return np.asarray(f(x[0]))
    if op == "Cast":
        to = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}.get(at["to"])
        return None if to is None else x[0].astype(to)
    if op in ("Add", "Sub", "Mul", "Div", "Mod", "Equal", "Less", "Greater", "Max", "Min"):
        a, b = x[0], x[1]
        if op == "Div":
            return (a // b) if a.dtype.kind in "iu" and b.dtype.kind in "iu" else a / b
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Mod": np.mod, "Equal": np.equal,
                "Less": np.less, "Greater": np.greater, "Max": np.maximum, "Min": np.minimum}[op](a, b)
    if op == "Gather":
        return np.take(x[0], x[1], axis=at.get("axis", 0))
    if op == "Unsqueeze":
        axes = at.get("axes", list(x[1]) if len(x) > 1 else None)
        out = x[0]
        for ax in sorted(a if a >= 0 else a + out.ndim + len(axes) for a in axes):
            out = np.expand_dims(out, ax)
        return out
    if op == "Squeeze":
        axes = at.get("axes", list(x[1]) if len(x) > 1 and x[1] is not None else None)
        return np.squeeze(x[0], axis=tuple(axes) if axes is not None else None)
    if op == "Concat":
        return np.concatenate([v for v in x], axis=at["axis"])
    if op == "Slice":
        data, starts, ends = x[0], x[1], x[2]
        axes = x[3] if len(x) > 3 and x[3] is not None else range(len(starts))
        steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
        sl = [slice(None)] * data.ndim
        for s_, e_, a_, st in zip(starts, ends, axes, steps):
            sl[a_] = slice(int(s_), int(e_), int(st))
        return data[tuple(sl)]
    if op == "Range":
        return np.arange(x[0], x[1], x[2])
    if op == "Where":
        return np.where(x[0], x[1], x[2])
    if op == "Expand":
        return x[0] * np.ones(tuple(int(v) for v in x[1]), dtype=x[0].dtype)
    if op == "ConstantOfShape":
        from onnx import numpy_helper
        v = numpy_helper.to_array(at["value"]) if "value" in at else np.array([0.0], dtype=np.float32)
        return np.full(tuple(int(d) for d in x[0]), v.reshape(-1)[0], dtype=v.dtype)
    if op == "Reshape":
        shape = [int(d) for d in x[1]]
        shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
        return x[0].reshape(shape)
    if op == "Transpose":
        return np.transpose(x[0], at.get("perm"))
    return None


def einsum_to_matmul(model):
    """onnx 1.12 infers no Einsum output shape: a two-operand batched matrix product ("...ik,...jk->...ij"
    or "...ik,...kj->...ij") is rewritten as MatMul (with a Transpose of the second operand), which it does."""
    from onnx import helper
    g = model.graph
    nodes = []
    for n in g.node:
        if n.op_type != "Einsum":
            nodes.append(n)
            continue
        eq = next(a.s for a in n.attribute if a.name == "equation").decode().replace(" ", "")
        lhs, rhs = eq.split("->")
        a, b = lhs.split(",")
        r = len(a)
        ok = len(b) == r and len(rhs) == r and a[:-2] == b[:-2] == rhs[:-2] and rhs[-2] == a[-2]
        if ok and b[-1] == a[-1] and rhs[-1] == b[-2]:    # B holds .. j k
            t = n.output[0] + "_bt"
            perm = list(range(r - 2)) + [r - 1, r - 2]
            nodes.append(helper.make_node("Transpose", [n.input[1]], [t], perm=perm))
            nodes.append(helper.make_node("MatMul", [n.input[0], t], list(n.output)))
        elif ok and b[-2] == a[-1] and rhs[-1] == b[-1]:  # B holds .. k j
            nodes.append(helper.make_node("MatMul", list(n.input), list(n.output)))
        else:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)


def count_macs(path):
    """(MACs per sample, nodes, unknown-shape nodes) from onnx shape inference after fold_shapes."""
    import onnx
    model = onnx.load(path)
    n_nodes = len(model.graph.node)
    einsum_to_matmul(model)
    model = fold_shapes(model)
    g = model.graph
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        shapes[vi.name] = dims(vi)
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
    batch = shapes[g.input[0].name][0] if shapes.get(g.input[0].name) else 1
    total, unknown = 0, 0
    live = {g.input[0].name}  # tensors computed from the network input (per sample)
    for n in g.node:
        if not any(i in live for i in n.input):
            continue  # a constant subgraph (shape arithmetic, masks, swin_v2's bias table): computed once
        live.update(n.output)
        ins = [shapes.get(i) for i in n.input]
        out = shapes.get(n.output[0]) if n.output else None
        if n.op_type == "Conv":
            w = ins[1]
            if out is None or w is None:
                unknown += 1
                continue
            total += prod(out) * w[1] * prod(w[2:])
        elif n.op_type == "ConvTranspose":
            x, w = ins[0], ins[1]
            if x is None or w is None:
                unknown += 1
                continue
            total += prod(x) * (w[1]) * prod(w[2:])  # w is C x K/group x kH x kW
        elif n.op_type in ("Gemm", "MatMul"):
            a = ins[0]
            if out is None or a is None:
                unknown += 1
                continue
            trans_a = next((x.i for x in n.attribute if x.name == "transA"), 0)
            red = a[0] if (n.op_type == "Gemm" and trans_a) else a[-1]
            total += prod(out) * red
        elif n.op_type == "Einsum":
            eq = next(x.s for x in n.attribute if x.name == "equation").decode().replace(" ", "")
            lhs, rhs = eq.split("->")
            size = {}
            for term, sh in zip(lhs.split(","), ins):
                if sh is None:
                    break
                size.update(zip(term, sh))
            if any(ch not in size for ch in lhs.replace(",", "")):
                unknown += 1
                continue
            # onnx 1.12 does not infer Einsum's output shape: the output letters give it
            out = [size[ch] for ch in rhs]
            shapes[n.output[0]] = out
            total += prod(out) * prod(size[ch] for ch in set(lhs.replace(",", "")) - set(rhs))
    return total // max(batch, 1), n_nodes, unknown


def cached_count(path):
    """count_macs(path), kept next to the export in PATH.ref.json (the count depends on the file only)."""
    cache = path + ".ref.json"
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(path):
        with open(cache) as f:
            return tuple(json.load(f))
    r = count_macs(path)
    with open(cache, "w") as f:
        json.dump(list(r), f)
    return r


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def table(args):
    rows = []
    for name, kind in all_models():
        if args.models and name not in args.models:
            continue
        for op in OPSETS:
            path = os.path.join(args.out, f"{name}.op{op}.onnx")
            if not os.path.exists(path):
                rows.append((name, kind, op, None, None, None, None, None, "not exported (run `export " + name + "`)"))
                continue
            size = os.path.getsize(path)
            try:
                ref, nodes, unk = cached_count(path)
                ref_s = str(ref) if not unk else f"{ref}+? ({unk} unknown)"
            except Exception as e:
                ref, nodes, ref_s = None, None, f"error: {e}"
            rc, out, err = run([args.cli, "layers", "--json", "-w", path])
            layers = macs = None
            status = ""
            if rc == 0:
                j = json.loads(out)
                ls = j["layers"] if isinstance(j, dict) else j
                layers = len(ls)
                macs = sum(int(l["macs"]) for l in ls)
                # the default budget (512 KiB) first; a model whose largest layer needs more is mapped with
                # the smallest of 2, 8, 32, 128 MiB that holds it (an infeasible budget is not an import failure)
                for budget in (None, "2MiB", "8MiB", "32MiB", "128MiB"):
                    cmd = [args.cli, "map", "-w", path] + (["--buffer", budget] if budget else [])
                    rc2, out2, err2 = run(cmd)
                    if rc2 == 0 or "too small" not in err2:
                        break
                if rc2 != 0:
                    status = "map failed: " + (err2.strip().splitlines() or ["?"])[0][:160]
                elif ref is not None and macs == ref:
                    status = "ok" + (f" (budget {budget})" if budget else "")
                else:
                    status = "MACs differ"
            else:
                status = "refused: " + (err.strip().splitlines() or ["?"])[0][:200]
            rows.append((name, kind, op, size, nodes, ref_s, layers, macs, status))
            print(rows[-1], flush=True)
    ok = sum(1 for r in rows if r[-1].startswith("ok"))
    with open(args.md, "w") as f:
        f.write("# ONNX import coverage (generated by tools/onnx_coverage.py; do not edit)\n\n")
        f.write("torchvision 0.14 models, torch 1.13 exports without parameters, batch 1, 224x224 (inception_v3 "
                "299x299). `reference MACs`: onnx shape inference, counted as described in the script's "
                "docstring; `MACs`: `dnnfuser layers --json` (sum of df_layer_macs); status `ok` = imported, "
                "mapped by `dnnfuser map` (at the default 512 KiB budget, or the smallest of 2/8/32/128 MiB that holds "
                "the largest layer, shown), MACs equal.\n\n")
        f.write(f"{ok} of {len(rows)} exports ok.\n\n")
        f.write("| model | kind | opset | bytes | ONNX nodes | reference MACs | layers | MACs | status |\n")
        f.write("|---|---|---|---:|---:|---:|---:|---:|---|\n")
        for r in rows:
            f.write("| " + " | ".join("" if v is None else str(v).replace("|", "/") for v in r) + " |\n")
    print(f"{ok} of {len(rows)} ok; wrote {args.md}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=("export", "table"))
    ap.add_argument("models", nargs="*")
    ap.add_argument("--out", default="/tmp/onnx_coverage")
    ap.add_argument("--md", default="docs/onnx_coverage.md")
    ap.add_argument("--cli", default="build/dnnfuser")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_intermixed_args()
    export(args) if args.cmd == "export" else table(args)


if __name__ == "__main__":
    sys.exit(main())
