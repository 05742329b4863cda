#!/usr/bin/env python3
"""Generates resample_reference.json: small inputs and PyTorch outputs / input gradients for the
resampling kernels (interpolate nearest/bilinear/bicubic, avg/max pool, pixel (un)shuffle, pad).
Test-data generation only; run with a Python that has torch:  python3 gen_resample_reference.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
cases = []


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def add(op, params, x, fn):
    x = x.clone().requires_grad_(True)
    y = fn(x)
    if isinstance(y, tuple):
        y, extra = y
    else:
        extra = None
    gy = torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, x, gy)
    case = dict(op=op, params=params, inShape=list(x.shape), outShape=list(y.shape),
                x=flat(x), y=flat(y), gy=flat(gy), gx=flat(gx))
    if extra is not None:
        case["indices"] = [int(v) for v in extra.reshape(-1).tolist()]
    cases.append(case)


interp_shapes = [
    ((1, 1, 1, 7), (1, 3)),
    ((1, 1, 1, 9), (3, 4)),
    ((2, 3, 5, 7), (12, 3)),
    ((1, 2, 7, 5), (3, 12)),
    ((1, 1, 4, 4), (8, 8)),
    ((1, 1, 5, 15), (15, 5)),
    ((1, 1, 9, 6), (4, 4)),
    ((1, 1, 6, 10), (3, 5)),
    ((1, 2, 3, 3), (7, 11)),
    ((1, 1, 13, 3), (5, 3)),
    ((1, 1, 6, 26), (74, 22)),  # nearest: float32 scale gives 2 (not 3) at 37 of 6->74, 12 (not 13) at 11 of 26->22
]
for shape, out in interp_shapes:
    x = torch.randn(*shape)
    for mode in ("nearest", "bilinear", "bicubic"):
        kw = {} if mode == "nearest" else {"align_corners": False}
        add("interpolate_" + mode, {"out": list(out)}, x,
            lambda t, mode=mode, kw=kw: F.interpolate(t, size=out, mode=mode, **kw))

for shape, k, s, p in [((2, 2, 7, 9), (3, 3), (2, 2), (1, 1)),
                       ((1, 3, 6, 5), (2, 3), (1, 2), (1, 0)),
                       ((1, 1, 1, 8), (1, 3), (1, 3), (0, 1)),
                       ((2, 1, 8, 8), (2, 2), (2, 2), (0, 0)),
                       ((1, 2, 9, 7), (4, 2), (3, 1), (2, 1))]:
    x = torch.randn(*shape)
    for cip in (True, False):
        add("avg_pool", {"k": list(k), "s": list(s), "p": list(p), "countIncludePad": cip}, x,
            lambda t, k=k, s=s, p=p, cip=cip: F.avg_pool2d(t, k, s, p, ceil_mode=False, count_include_pad=cip))
    add("max_pool", {"k": list(k), "s": list(s), "p": list(p)}, x,
        lambda t, k=k, s=s, p=p: F.max_pool2d(t, k, s, p, return_indices=True))

for shape, r in [((1, 8, 3, 5), 2), ((2, 9, 2, 3), 3), ((1, 4, 1, 1), 2)]:
    x = torch.randn(*shape)
    add("pixel_shuffle", {"r": r}, x, lambda t, r=r: F.pixel_shuffle(t, r))
for shape, r in [((1, 2, 6, 4), 2), ((2, 1, 3, 9), 3)]:
    x = torch.randn(*shape)
    add("pixel_unshuffle", {"r": r}, x, lambda t, r=r: F.pixel_unshuffle(t, r))

for shape, pads in [((2, 1, 4, 5), (2, 3, 1, 3)), ((1, 2, 1, 6), (5, 1, 0, 0)), ((1, 1, 3, 3), (0, 2, 2, 1))]:
    x = torch.randn(*shape)
    for mode in ("reflect", "replicate", "constant"):
        if mode == "reflect" and (pads[2] >= shape[2] or pads[3] >= shape[2] or pads[0] >= shape[3] or pads[1] >= shape[3]):
            continue
        # F.pad order: (left, right, top, bottom)
        add("pad_" + mode, {"left": pads[0], "right": pads[1], "top": pads[2], "bottom": pads[3]}, x,
            lambda t, mode=mode, pads=pads: F.pad(t, pads, mode=mode))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resample_reference.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {out}")
