#!/usr/bin/python3
"""onnx_coverage.py - does the ONNX importer take the models people bring? (issue 16)

DEV-TIME ONLY (CI never runs Python). Needs Debian 12's python3-torch (1.13), python3-torchvision
(0.14) and python3-onnx (1.12). Run from the repository root after `make`:

    /usr/bin/python3 tools/onnx_coverage.py export [--out DIR] [MODEL ...]   # default DIR /tmp/onnx_coverage
    /usr/bin/python3 tools/onnx_coverage.py table  [--out DIR] [--md docs/onnx_coverage.md]

export: every torchvision.models classification model (list_models) and every segmentation model
(FCN, DeepLabV3, LR-ASPP), random weights (weights=None), eval mode, input 1x3x224x224 (inception_v3
1x3x299x299), exported WITHOUT parameters (export_params=False: weights become graph inputs carrying
only their shapes) at opset 13 and opset 17, to DIR/<model>.op<N>.onnx. Nothing goes into the repo.

table: for each file, an independent count of multiply-accumulates from onnx's shape inference
(onnx.shape_inference.infer_shapes with data propagation), then `build/dnnfuser layers --json -w FILE`
(import + cost model) and `build/dnnfuser map -w FILE` (import + solve); writes the Markdown table.

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


def count_macs(path):
    """(MACs per sample, nodes, unknown-shape nodes) from onnx shape inference."""
    import onnx
    model = onnx.load(path)
    model = onnx.shape_inference.infer_shapes(model, data_prop=True)
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
            grp = next((a.i for a in n.attribute if a.name == "group"), 1)
            if out is None or w is None:
                unknown += 1
                continue
            total += prod(out) * w[1] * prod(w[2:])
        elif n.op_type == "ConvTranspose":
            x, w = ins[0], ins[1]
            grp = next((a.i for a in n.attribute if a.name == "group"), 1)
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
    return total // max(batch, 1), len(g.node), unknown


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def table(args):
    rows = []
    for name, kind in all_models():
        for op in OPSETS:
            path = os.path.join(args.out, f"{name}.op{op}.onnx")
            if not os.path.exists(path):
                rows.append((name, kind, op, None, None, None, None, None, "not exported"))
                continue
            size = os.path.getsize(path)
            try:
                ref, nodes, unk = count_macs(path)
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
                rc2, out2, err2 = run([args.cli, "map", "-w", path])
                if rc2 != 0:
                    status = "map failed: " + (err2.strip().splitlines() or ["?"])[0][:160]
                elif ref is not None and macs == ref:
                    status = "ok"
                else:
                    status = "MACs differ"
            else:
                status = "refused: " + (err.strip().splitlines() or ["?"])[0][:200]
            rows.append((name, kind, op, size, nodes, ref_s, layers, macs, status))
            print(rows[-1], flush=True)
    ok = sum(1 for r in rows if r[-1] == "ok")
    with open(args.md, "w") as f:
        f.write("# ONNX import coverage (generated by tools/onnx_coverage.py; do not edit)\n\n")
        f.write("torchvision 0.14 models, torch 1.13 exports without parameters, batch 1, 224x224 (inception_v3 "
                "299x299). `reference MACs`: onnx shape inference, counted as described in the script's "
                "docstring; `MACs`: `dnnfuser layers --json` (sum of df_layer_macs); status `ok` = imported, "
                "mapped by `dnnfuser map`, MACs equal.\n\n")
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
    args = ap.parse_args()
    export(args) if args.cmd == "export" else table(args)


if __name__ == "__main__":
    sys.exit(main())
