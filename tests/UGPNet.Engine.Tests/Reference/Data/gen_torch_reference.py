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
x = rnd(1, 1, 4, 5)
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

# ---------------------------------------------------------------- StyleGAN2 ops written with plain torch ops
def minibatch_std(x, group_size=4, feat=1):
    # rosinality stylegan2 Discriminator
    batch, channel, height, width = x.shape
    group = min(batch, group_size)
    sd = x.view(group, -1, feat, channel // feat, height, width)
    sd = torch.sqrt(sd.var(0, unbiased=False) + 1e-8)
    sd = sd.mean([2, 3, 4], keepdim=True).squeeze(2)
    sd = sd.repeat(group, 1, height, width)
    return torch.cat([x, sd], 1)


x = rnd(4, 4, 2, 2)
add("minibatch_std", "minibatch_std_g4_f1", {"x": x}, {"group": 4, "features": 1}, {"y": minibatch_std(x)})
x = rnd(4, 4, 2, 1)
add("minibatch_std", "minibatch_std_g2_f2", {"x": x}, {"group": 2, "features": 2}, {"y": minibatch_std(x, 2, 2)})


def upfirdn2d_native(inp, kernel, up_x, up_y, down_x, down_y, pad_x0, pad_x1, pad_y0, pad_y1):
    # rosinality stylegan2 op/upfirdn2d.py (reference implementation)
    _, channel, in_h, in_w = inp.shape
    inp = inp.reshape(-1, in_h, in_w, 1)
    _, in_h, in_w, minor = inp.shape
    kernel_h, kernel_w = kernel.shape
    out = inp.view(-1, in_h, 1, in_w, 1, minor)
    out = F.pad(out, [0, 0, 0, up_x - 1, 0, 0, 0, up_y - 1])
    out = out.view(-1, in_h * up_y, in_w * up_x, minor)
    out = F.pad(out, [0, 0, max(pad_x0, 0), max(pad_x1, 0), max(pad_y0, 0), max(pad_y1, 0)])
    out = out[:, max(-pad_y0, 0): out.shape[1] - max(-pad_y1, 0), max(-pad_x0, 0): out.shape[2] - max(-pad_x1, 0), :]
    out = out.permute(0, 3, 1, 2)
    out = out.reshape([-1, 1, in_h * up_y + pad_y0 + pad_y1, in_w * up_x + pad_x0 + pad_x1])
    w = torch.flip(kernel, [0, 1]).view(1, 1, kernel_h, kernel_w)
    out = F.conv2d(out, w)
    out = out.reshape(-1, minor, in_h * up_y + pad_y0 + pad_y1 - kernel_h + 1, in_w * up_x + pad_x0 + pad_x1 - kernel_w + 1)
    out = out.permute(0, 2, 3, 1)
    out = out[:, ::down_y, ::down_x, :]
    out_h = (in_h * up_y + pad_y0 + pad_y1 - kernel_h + down_y) // down_y
    out_w = (in_w * up_x + pad_x0 + pad_x1 - kernel_w + down_x) // down_x
    return out.view(-1, channel, out_h, out_w)


x = rnd(1, 2, 4, 3)
for i, (k, ux, uy, dx, dy, px0, px1, py0, py1) in enumerate([
    (rnd(4, 4), 2, 2, 1, 1, 2, 1, 2, 1),
    (rnd(3, 2), 1, 2, 2, 1, 1, 0, -1, 2),
    (rnd(4, 4), 1, 1, 2, 2, 1, 1, 1, 1),
]):
    add("upfirdn2d", f"upfirdn2d_{i}", {"x": x, "k": k},
        {"up": [ux, uy], "down": [dx, dy], "pad": [px0, px1, py0, py1]},
        {"y": upfirdn2d_native(x, k, ux, uy, dx, dy, px0, px1, py0, py1)})


def modulated_conv(x, weight, style, demodulate, upsample):
    # rosinality ModulatedConv2d without the fan-in scale and the blur
    batch, in_ch, h, w = x.shape
    out_ch, _, k, _ = weight.shape
    wt = weight.unsqueeze(0) * style.view(batch, 1, in_ch, 1, 1)
    if demodulate:
        demod = torch.rsqrt(wt.pow(2).sum([2, 3, 4]) + 1e-8)
        wt = wt * demod.view(batch, out_ch, 1, 1, 1)
    if upsample:
        wt = wt.transpose(1, 2).reshape(batch * in_ch, out_ch, k, k)
        out = F.conv_transpose2d(x.view(1, batch * in_ch, h, w), wt, padding=0, stride=2, groups=batch)
    else:
        wt = wt.view(batch * out_ch, in_ch, k, k)
        out = F.conv2d(x.view(1, batch * in_ch, h, w), wt, padding=k // 2, groups=batch)
    return out.view(batch, out_ch, out.shape[2], out.shape[3])


x, wt, st = rnd(2, 3, 4, 4), rnd(2, 3, 3, 3), rnd(2, 3, lo=0.5, hi=1.5)
for demod in [True, False]:
    for up in [False, True]:
        add("modulated_conv2d", f"modulated_conv2d_demod{demod}_up{up}", {"x": x, "w": wt, "s": st},
            {"demodulate": demod, "upsample": up}, {"y": modulated_conv(x, wt, st, demod, up)})

x, b = rnd(2, 3, 2, 2), rnd(3)
add("fused_leaky_relu", "fused_leaky_relu", {"x": x, "b": b}, {},
    {"y": F.leaky_relu(x + b.view(1, 3, 1, 1), 0.2) * 2 ** 0.5})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_reference.json")
with open(out, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {out} ({os.path.getsize(out)} bytes)")
