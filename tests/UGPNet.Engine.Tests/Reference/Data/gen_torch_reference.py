#!/usr/bin/env python3
"""Generates torch_reference.json: small float64 PyTorch cases that the C# Ref library must match.

Run with a Python that has torch (tested with Debian's python3-torch 1.13):
    /usr/bin/python3 tests/UGPNet.Engine.Tests/Reference/Data/gen_torch_reference.py
Every case: {"op", "name", "inputs": {name: {"shape", "data"}}, "params": {...}, "outputs": {name: {"shape", "data"}}}.
All tensors are float64 and random values are uniform in [-1, 1) from a fixed seed.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
DT = torch.float64
cases = []


def rnd(*shape, lo=-1.0, hi=1.0):
    return torch.rand(*shape, dtype=DT) * (hi - lo) + lo


def enc(t):
    t = t.detach().to(DT).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def add(op, name, inputs, params, outputs):
    cases.append({
        "op": op,
        "name": name,
        "inputs": {k: enc(v) for k, v in inputs.items() if v is not None},
        "params": params,
        "outputs": {k: enc(v) for k, v in outputs.items()},
    })


# ---------------------------------------------------------------- conv2d
for i, (n, cin, cout, h, w, k, s, p, d, g, bias) in enumerate([
    (1, 2, 3, 5, 5, 3, 1, 1, 1, 1, True),
    (2, 4, 4, 6, 5, 3, 2, 1, 1, 2, False),
    (1, 2, 2, 7, 6, 3, 1, 2, 2, 1, True),
    (1, 4, 2, 5, 7, (2, 3), (2, 1), (0, 1), (1, 2), 2, True),
    (1, 3, 3, 4, 4, 1, 1, 0, 1, 3, False),
]):
    kh, kw = (k, k) if isinstance(k, int) else k
    x = rnd(n, cin, h, w)
    wt = rnd(cout, cin // g, kh, kw)
    b = rnd(cout) if bias else None
    pair = lambda v: [v, v] if isinstance(v, int) else list(v)
    y = F.conv2d(x, wt, b, stride=s, padding=p, dilation=d, groups=g)
    add("conv2d", f"conv2d_{i}", {"x": x, "w": wt, "b": b},
        {"stride": pair(s), "padding": pair(p), "dilation": pair(d), "groups": g}, {"y": y})

# ---------------------------------------------------------------- conv_transpose2d
for i, (n, cin, cout, h, w, k, s, p, op, d, g, bias) in enumerate([
    (1, 2, 3, 3, 3, 3, 2, 1, 1, 1, 1, True),
    (2, 4, 2, 3, 4, 3, 1, 1, 0, 1, 2, False),
    (1, 2, 2, 3, 3, 4, 2, 1, 0, 1, 1, True),
    (1, 2, 4, 3, 2, (2, 3), (3, 2), (1, 0), (2, 1), (1, 2), 2, True),
    (1, 2, 1, 2, 3, 3, 2, 0, 0, 2, 1, False),
]):
    kh, kw = (k, k) if isinstance(k, int) else k
    x = rnd(n, cin, h, w)
    wt = rnd(cin, cout // g, kh, kw)
    b = rnd(cout) if bias else None
    pair = lambda v: [v, v] if isinstance(v, int) else list(v)
    y = F.conv_transpose2d(x, wt, b, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    add("conv_transpose2d", f"conv_transpose2d_{i}", {"x": x, "w": wt, "b": b},
        {"stride": pair(s), "padding": pair(p), "output_padding": pair(op), "dilation": pair(d), "groups": g}, {"y": y})

# ---------------------------------------------------------------- interpolate
x = rnd(1, 2, 4, 5)
for mode in ["nearest", "nearest-exact", "bilinear", "bicubic"]:
    for size in [(8, 10), (7, 3), (2, 2), (5, 9)]:
        for ac in ([False, True] if mode in ("bilinear", "bicubic") else [None]):
            kw = {} if ac is None else {"align_corners": ac}
            y = F.interpolate(x, size=size, mode=mode, **kw)
            add("interpolate", f"interpolate_{mode}_{size[0]}x{size[1]}_{ac}", {"x": x},
                {"mode": mode, "size": list(size), "align_corners": bool(ac)}, {"y": y})

# ---------------------------------------------------------------- avg_pool2d / max_pool2d
x = rnd(1, 2, 7, 6)
for i, (k, s, p, ceil, cip) in enumerate([
    (2, 2, 0, False, True), (3, 2, 1, False, True), (3, 2, 1, False, False),
    (3, 2, 1, True, True), (3, 2, 1, True, False), (2, 3, 1, True, True), ((3, 2), (1, 2), (1, 1), False, False),
]):
    pair = lambda v: [v, v] if isinstance(v, int) else list(v)
    y = F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip)
    add("avg_pool2d", f"avg_pool2d_{i}", {"x": x},
        {"kernel": pair(k), "stride": pair(s), "padding": pair(p), "ceil_mode": ceil, "count_include_pad": cip}, {"y": y})
for i, (k, s, p, ceil) in enumerate([(2, 2, 0, False), (3, 2, 1, True)]):
    y = F.max_pool2d(x, k, s, p, ceil_mode=ceil)
    add("max_pool2d", f"max_pool2d_{i}", {"x": x}, {"kernel": k, "stride": s, "padding": p, "ceil_mode": ceil}, {"y": y})

# ---------------------------------------------------------------- pad
x = rnd(1, 2, 3, 4)
for mode in ["constant", "reflect", "replicate", "circular"]:
    for pads in [[1, 2, 2, 1], [3, 0, 0, 2]]:
        y = F.pad(x, pads, mode=mode, value=0.5) if mode == "constant" else F.pad(x, pads, mode=mode)
        add("pad", f"pad_{mode}_{'_'.join(map(str, pads))}", {"x": x}, {"mode": mode, "pad": pads, "value": 0.5}, {"y": y})
y = F.pad(x, [-1, 2, 1, -1])
add("pad", "pad_constant_negative", {"x": x}, {"mode": "constant", "pad": [-1, 2, 1, -1], "value": 0.0}, {"y": y})

# ---------------------------------------------------------------- pixel shuffle
x = rnd(2, 8, 2, 3)
add("pixel_shuffle", "pixel_shuffle_2", {"x": x}, {"r": 2}, {"y": F.pixel_shuffle(x, 2)})
x = rnd(1, 2, 6, 3)
add("pixel_unshuffle", "pixel_unshuffle_3", {"x": x}, {"r": 3}, {"y": F.pixel_unshuffle(x, 3)})

# ---------------------------------------------------------------- batch norm
x = rnd(3, 2, 2, 3)
g, b = rnd(2), rnd(2)
rm, rv = rnd(2), rnd(2, lo=0.5, hi=1.5)
rm2, rv2 = rm.clone(), rv.clone()
y = F.batch_norm(x, rm2, rv2, g, b, training=True, momentum=0.1, eps=1e-5)
add("batch_norm_train", "batch_norm_train", {"x": x, "gamma": g, "beta": b, "running_mean": rm, "running_var": rv},
    {"eps": 1e-5, "momentum": 0.1}, {"y": y, "new_running_mean": rm2, "new_running_var": rv2})
y = F.batch_norm(x, rm, rv, g, b, training=False, eps=1e-5)
add("batch_norm_eval", "batch_norm_eval", {"x": x, "gamma": g, "beta": b, "running_mean": rm, "running_var": rv},
    {"eps": 1e-5}, {"y": y})

# ---------------------------------------------------------------- other norms
x = rnd(2, 3, 2, 2)
g, b = rnd(3), rnd(3)
add("instance_norm", "instance_norm_affine", {"x": x, "gamma": g, "beta": b}, {"eps": 1e-5},
    {"y": F.instance_norm(x, weight=g, bias=b, eps=1e-5)})
x = rnd(2, 4, 2, 2)
g, b = rnd(4), rnd(4)
add("group_norm", "group_norm_2", {"x": x, "gamma": g, "beta": b}, {"groups": 2, "eps": 1e-5},
    {"y": F.group_norm(x, 2, g, b, eps=1e-5)})
x = rnd(2, 3, 4)
g, b = rnd(3, 4), rnd(3, 4)
add("layer_norm", "layer_norm_last2", {"x": x, "gamma": g, "beta": b}, {"normalized_rank": 2, "eps": 1e-5},
    {"y": F.layer_norm(x, (3, 4), g, b, eps=1e-5)})

# ---------------------------------------------------------------- activations / softmax / reductions / matmul
x = rnd(3, 7, lo=-25, hi=25)
add("softplus", "softplus_default", {"x": x}, {"beta": 1.0, "threshold": 20.0}, {"y": F.softplus(x)})
add("softplus", "softplus_beta2_th5", {"x": x}, {"beta": 2.0, "threshold": 5.0}, {"y": F.softplus(x, beta=2.0, threshold=5.0)})
x = rnd(2, 3, 4, lo=-5, hi=5)
add("softmax", "softmax_dim1", {"x": x}, {"dim": 1}, {"y": F.softmax(x, dim=1)})
add("log_softmax", "log_softmax_dim2", {"x": x}, {"dim": -1}, {"y": F.log_softmax(x, dim=-1)})
add("var", "var_unbiased_02", {"x": x}, {"dims": [0, 2], "unbiased": True}, {"y": x.var(dim=[0, 2], unbiased=True)})
add("var", "var_biased_1", {"x": x}, {"dims": [1], "unbiased": False}, {"y": x.var(dim=[1], unbiased=False)})
a, bb = rnd(2, 1, 3, 4), rnd(3, 4, 2)
add("matmul", "matmul_broadcast", {"a": a, "b": bb}, {}, {"y": torch.matmul(a, bb)})
x, wt, b = rnd(2, 3, 5), rnd(4, 5), rnd(4)
add("linear", "linear_bias", {"x": x, "w": wt, "b": b}, {}, {"y": F.linear(x, wt, b)})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_reference.json")
with open(out, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {out} ({os.path.getsize(out)} bytes)")
