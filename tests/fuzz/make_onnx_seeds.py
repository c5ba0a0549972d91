#!/usr/bin/python3
"""make_onnx_seeds.py - dev-time generator of the fuzz_onnx seeds that exercise the issue-16 operators
(the outputs, tests/fuzz/corpus/fuzz_onnx/op*_*.onnx, are committed; the tests never run this).

DEV-TIME ONLY. Needs Debian 12's python3-torch (1.13). Run from the repository root:

    nice /usr/bin/python3 tests/fuzz/make_onnx_seeds.py

Each seed is a tiny PyTorch module (8x8 images, 4-token sequences: a few KB) exported without
parameters at opset 13 and at opset 17, so the fuzzer starts from what the exporter really writes for:
attention (Transpose, Reshape, MatMul of two activations, Softmax, LayerNorm decomposed at 13 and
LayerNormalization at 17, GELU as Erf), channel shuffle and Split/Slice chunks, Resize (nearest and
linear, scales and sizes), ConvTranspose, Pad, the shape subgraphs of x.view(x.size(0), -1), arange
and expand (Shape, Gather, Unsqueeze, Concat, Range, Expand, Where), a class token join, Einsum, and
the element-wise activations (sigmoid, hardswish, SiLU, tanh, mul).
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_onnx")


class Attention(nn.Module):
    def __init__(self, d=8, h=2):
        super().__init__()
        self.h = h
        self.ln = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.fc = nn.Linear(d, 2 * d)
        self.fc2 = nn.Linear(2 * d, d)

    def forward(self, x):  # 1 x T x d
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln(x)).reshape(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-2, -1)).softmax(-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc(x)))


class Shuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(8, 8, 1)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1, groups=4)

    def forward(self, x):  # 1 x 8 x 8 x 8
        a, b = x.chunk(2, dim=1)
        y = torch.cat([a, self.c2(b)], 1)
        n, c, h, w = y.shape
        y = y.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
        s = torch.split(self.c1(y), [3, 5], dim=1)
        return torch.cat([s[1], s[0]], 1)


class Upsample(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, stride=2)
        self.d = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x):  # 1 x 3 x 8 x 8
        y = self.c(F.pad(x, (1, 0, 1, 0)))  # 4 x 4 x 4
        a = F.interpolate(y, scale_factor=2, mode="nearest")
        b = F.interpolate(y, size=(x.shape[2], x.shape[3]), mode="bilinear", align_corners=False)
        return torch.sigmoid(a) * b + self.d(y)


class ShapeMath(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, padding=1)
        self.tok = nn.Parameter(torch.zeros(1, 1, 4))
        self.fc = nn.Linear(4, 5)

    def forward(self, x):  # 1 x 3 x 8 x 8
        y = self.c(x)
        n = y.size(0)
        t = y.flatten(2).transpose(1, 2)                      # 1 x 64 x 4
        t = torch.cat([self.tok.expand(n, -1, -1), t], 1)     # class token: 1 x 65 x 4
        pos = torch.arange(t.size(1)).unsqueeze(-1)
        t = torch.where(pos < 1, t, t * 2.0)
        return self.fc(t[:, 0]).view(n, -1)


class Einsum(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(8, 8)

    def forward(self, x):  # 1 x 4 x 8
        q = self.q(x)
        s = torch.einsum("bik,bjk->bij", q, x).softmax(-1)
        return torch.einsum("bij,bjk->bik", s, x)


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, padding=1)
        self.se1 = nn.Conv2d(8, 2, 1)
        self.se2 = nn.Conv2d(2, 8, 1)

    def forward(self, x):  # 1 x 3 x 8 x 8
        y = F.hardswish(self.c(x))
        s = torch.sigmoid(self.se2(F.silu(self.se1(F.adaptive_avg_pool2d(y, 1)))))
        return torch.tanh(y * s) - F.relu(y) / 2.0


SEEDS = {
    "attention": (Attention, (1, 4, 8)),
    "shuffle_split": (Shuffle, (1, 8, 8, 8)),
    "resize_deconv_pad": (Upsample, (1, 3, 8, 8)),
    "shape_subgraph": (ShapeMath, (1, 3, 8, 8)),
    "einsum": (Einsum, (1, 4, 8)),
    "activations": (Activations, (1, 3, 8, 8)),
}


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    for name, (cls, shape) in SEEDS.items():
        m = cls().eval()
        for op in (13, 17):
            path = os.path.join(OUT, f"op{op}_{name}.onnx")
            torch.onnx.export(m, torch.randn(*shape), path, export_params=False, opset_version=op,
                              input_names=["input"], output_names=["output"], do_constant_folding=True)
            print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
