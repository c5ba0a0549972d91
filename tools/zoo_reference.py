#!/usr/bin/python3
"""zoo_reference.py - an independent count of the zoo's spatial-fusion workloads (issue 14 item 5).

DEV-TIME ONLY (CI never runs Python). Needs Debian 12's python3-torch (1.13) and python3-torchvision
(0.14). Run from the repository root after `make`:

    nice /usr/bin/python3 tools/zoo_reference.py [--md docs/zoo_reference.md]

For each network: the reference module in PyTorch (torchvision's resnet18 and mobilenet_v2; FSRCNN,
U-Net and the YOLOv5s backbone written here from their papers / model definition, as documented in
src/core/zoo.c), random weights, eval mode, one forward pass at the zoo's input size with forward hooks
on every Conv2d, ConvTranspose2d and Linear. Each hooked module gives (K, C, kernel, stride, padding,
groups, output H x W) and its MACs:
  Conv2d           K*P*Q * (C/groups) * kH * kW
  ConvTranspose2d  C*H*W * (K/groups) * kH * kW   (every input pixel scatters one kernel)
  Linear           in * out
The list, in execution order, is compared field by field with the MAC-carrying layers (conv, dwconv,
deconv, fc) of `build/dnnfuser layers --json -w NAME`; the script fails on any difference. It writes a
Markdown table (network, input, MAC layers, torch MACs, dnnfuser MACs, equal) whose numbers are the ones
tests/unit/check_zoo.c checks. fsrcnn_defines is not a PyTorch model: its count is DeFiNES's own
(docs/defines/workloads.md, 8,362,594,208).
"""
import argparse
import json
import subprocess
import sys

import torch
import torch.nn as nn
import torchvision


def conv(c1, c2, k, s=1, p=None):
    return nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, bias=False)


class FSRCNN(nn.Module):
    """Dong et al., ECCV 2016: d = 56, s = 12, m = 4, x2 (PReLU omitted: no MACs)."""

    def __init__(self, d=56, s=12, m=4, n=2):
        super().__init__()
        layers = [nn.Conv2d(1, d, 5, padding=2), nn.Conv2d(d, s, 1)]
        layers += [nn.Conv2d(s, s, 3, padding=1) for _ in range(m)]
        layers += [nn.Conv2d(s, d, 1)]
        self.body = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, 1, 9, stride=n, padding=4, output_padding=n - 1)

    def forward(self, x):
        return self.deconv(self.body(x))


class UNet(nn.Module):
    """Ronneberger et al. 2015 with padded 3x3 convs, 2x2 up-convolutions, 2 classes."""

    def __init__(self, cin=3, classes=2):
        super().__init__()

        def dc(a, b):
            return nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.Conv2d(b, b, 3, padding=1), nn.ReLU())

        self.inc = dc(cin, 64)
        self.downs = nn.ModuleList([dc(64 << i, 128 << i) for i in range(4)])
        self.ups = nn.ModuleList([nn.ConvTranspose2d(1024 >> i, 512 >> i, 2, stride=2) for i in range(4)])
        self.upc = nn.ModuleList([dc(1024 >> i, 512 >> i) for i in range(4)])
        self.outc = nn.Conv2d(64, classes, 1)

    def forward(self, x):
        skips = []
        x = self.inc(x)
        for d in self.downs:
            skips.append(x)
            x = d(nn.functional.max_pool2d(x, 2))
        for i in range(4):
            x = self.upc[i](torch.cat([skips[3 - i], self.ups[i](x)], 1))
        return self.outc(x)


class Bottleneck(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cv1, self.cv2 = conv(c, c, 1), conv(c, c, 3)

    def forward(self, x):
        return x + self.cv2(self.cv1(x))


class C3(nn.Module):
    def __init__(self, c1, c2, n):
        super().__init__()
        h = c2 // 2
        self.cv1, self.cv2, self.cv3 = conv(c1, h, 1), conv(c1, h, 1), conv(2 * h, c2, 1)
        self.m = nn.Sequential(*[Bottleneck(h) for _ in range(n)])

    def forward(self, x):
        return self.cv3(torch.cat([self.m(self.cv1(x)), self.cv2(x)], 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        h = c1 // 2
        self.cv1, self.cv2 = conv(c1, h, 1), conv(4 * h, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat([x, y1, y2, self.m(y2)], 1))


def yolov5s_backbone():
    """models/yolov5s.yaml backbone (v6.0+), depth 0.33, width 0.50."""
    return nn.Sequential(conv(3, 32, 6, 2, 2), conv(32, 64, 3, 2), C3(64, 64, 1), conv(64, 128, 3, 2), C3(128, 128, 2),
                         conv(128, 256, 3, 2), C3(256, 256, 3), conv(256, 512, 3, 2), C3(512, 512, 1), SPPF(512, 512))


NETS = [  # zoo name, module factory, input C, H, W
    ("resnet18", lambda: torchvision.models.resnet18(weights=None), 3, 224, 224),
    ("mobilenetv2", lambda: torchvision.models.mobilenet_v2(weights=None), 3, 224, 224),
    ("resnet18_512", lambda: torchvision.models.resnet18(weights=None), 3, 512, 512),
    ("mobilenetv2_512", lambda: torchvision.models.mobilenet_v2(weights=None), 3, 512, 512),
    ("fsrcnn", FSRCNN, 1, 540, 960),
    ("unet", UNet, 3, 512, 512),
    ("yolov5s_backbone", yolov5s_backbone, 3, 640, 640),
]


def torch_layers(factory, c, h, w):
    rows = []

    def hook(mod, inp, out):
        x = inp[0]
        if isinstance(mod, nn.Linear):
            rows.append(("fc", mod.out_features, mod.in_features, 1, 1, 0, 1, 1, 1, mod.in_features * mod.out_features))
            return
        K, C, g = mod.out_channels, mod.in_channels, mod.groups
        kh, kw = mod.kernel_size
        P, Q = out.shape[2], out.shape[3]
        assert kh == kw and mod.stride[0] == mod.stride[1] and mod.padding[0] == mod.padding[1], mod
        if isinstance(mod, nn.ConvTranspose2d):
            macs = C * x.shape[2] * x.shape[3] * (K // g) * kh * kw
            kind = "deconv"
        else:
            macs = K * P * Q * (C // g) * kh * kw
            kind = "conv"
        rows.append((kind, K, C, kh, mod.stride[0], mod.padding[0], g, P, Q, macs))

    m = factory().eval()
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            mod.register_forward_hook(hook)
    with torch.no_grad():
        m(torch.zeros(1, c, h, w))
    return rows


def ours(name):
    out = subprocess.run(["build/dnnfuser", "layers", "--json", "-w", name], check=True, capture_output=True, text=True)
    rows = []
    for l in json.loads(out.stdout):
        t = l["type"]
        if t not in ("conv", "dwconv", "deconv", "fc"):
            continue
        kind = "conv" if t == "dwconv" else t
        rows.append((kind, l["K"], l["C"], l["R"], l["stride"], l["pad"], l["groups"], l["P"], l["Q"], l["macs"]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--md", default=None)
    a = ap.parse_args()
    torch.manual_seed(0)
    lines = ["| network | input | MAC layers | torch MACs | dnnfuser MACs | layer by layer |", "|---|---|---|---|---|---|"]
    bad = 0
    for name, factory, c, h, w in NETS:
        t, o = torch_layers(factory, c, h, w), ours(name)
        same = t == o
        if not same:
            bad += 1
            for i, (x, y) in enumerate(zip(t, o)):
                if x != y:
                    print(f"{name}: MAC layer {i}: torch {x}, dnnfuser {y}", file=sys.stderr)
                    break
            if len(t) != len(o):
                print(f"{name}: {len(t)} torch layers, {len(o)} dnnfuser", file=sys.stderr)
        tm, om = sum(r[-1] for r in t), sum(r[-1] for r in o)
        lines.append(f"| {name} | {c}x{h}x{w} | {len(t)} | {tm:,} | {om:,} | {'identical' if same else 'DIFFERENT'} |")
        print(lines[-1], flush=True)
    if a.md:
        with open(a.md, "w") as f:
            f.write("# Zoo reference counts (tools/zoo_reference.py)\n\n")
            f.write("PyTorch 1.13 / torchvision 0.14 forward hooks vs `dnnfuser layers --json`; every MAC-carrying\n")
            f.write("layer compared by (type, K, C, kernel, stride, pad, groups, P, Q, MACs) in execution order.\n")
            f.write("Regenerate: `make && nice /usr/bin/python3 tools/zoo_reference.py --md docs/zoo_reference.md`.\n\n")
            f.write("\n".join(lines) + "\n\n")
            f.write("fsrcnn_defines is DeFiNES's workload, not a PyTorch model: its per-layer MACs and total\n")
            f.write("(8,362,594,208) are DeFiNES's own (docs/defines/workloads.md), checked in tests/unit/check_zoo.c.\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
