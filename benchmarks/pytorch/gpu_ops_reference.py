#!/usr/bin/env python3
"""The ops of UGPNet.GpuBench timed in PyTorch on CUDA, fp32 with TF32 off, printed as `torch_NAME: value unit`.

Median of N timed runs (CUDA events around each, after warm-up), same sizes and work counts as the C# bench.
Usage: python3 gpu_ops_reference.py [--reps N] [--small] [--out DIR]
"""
import argparse, json, os, statistics
import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True

ap = argparse.ArgumentParser()
ap.add_argument("--reps", type=int, default=10)
ap.add_argument("--small", action="store_true")
ap.add_argument("--out")
args = ap.parse_args()
dev = torch.device("cuda")
print(f"torch_device: {torch.cuda.get_device_name(0)} (torch {torch.__version__}, cudnn {torch.backends.cudnn.version()})")
rows = []


def timed(name, work, unit, fn):
    try:
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(args.reps):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record(); fn(); e.record(); torch.cuda.synchronize()
            times.append(s.elapsed_time(e))
        ms = statistics.median(times)
        value = work / (ms * 1e6) if unit in ("GFLOP/s", "GB/s") else ms
        rows.append({"name": "torch_" + name, "ms": ms, "value": value, "unit": unit})
        print(f"torch_{name}_time: {ms:.3f} ms")
        print(f"torch_{name}: {value:.1f} {unit}", flush=True)
    except Exception as ex:  # keep going: one failing row must not hide the others
        print(f"torch_{name}: error {type(ex).__name__}: {str(ex).splitlines()[0] if str(ex) else ''}", flush=True)


def rnd(*shape):
    return torch.rand(*shape, device=dev) * 2 - 1


with torch.no_grad():
    for s in ([64, 128] if args.small else [1024, 2048, 4096]):
        a, b = rnd(s, s), rnd(s, s)
        timed(f"sgemm_{s}", 2.0 * s ** 3, "GFLOP/s", lambda: torch.mm(a, b))
        del a, b

    N, C, H = (1, 8, 16) if args.small else (8, 64, 256)
    sz = "small" if args.small else "8x64x256x256"
    x, w, bias = rnd(N, C, H, H), rnd(C, C, 3, 3), rnd(C)
    y = rnd(N, C, H, H)
    flops = 2.0 * N * C * H * H * C * 9
    timed(f"conv3x3_{sz}_fwd", flops, "GFLOP/s", lambda: F.conv2d(x, w, bias, padding=1))
    timed(f"conv3x3_{sz}_bwd_input", flops, "GFLOP/s", lambda: torch.nn.grad.conv2d_input(x.shape, w, y, padding=1))
    timed(f"conv3x3_{sz}_bwd_weight", flops, "GFLOP/s", lambda: torch.nn.grad.conv2d_weight(x, w.shape, y, padding=1))
    wd = rnd(C, 1, 3, 3)
    dw_bytes = 4.0 * 2 * x.numel()
    timed(f"dwconv3x3_{sz}_fwd", dw_bytes, "GB/s", lambda: F.conv2d(x, wd, bias, padding=1, groups=C))
    timed(f"dwconv3x3_{sz}_bwd_input", dw_bytes, "GB/s", lambda: torch.nn.grad.conv2d_input(x.shape, wd, y, padding=1, groups=C))
    timed(f"dwconv3x3_{sz}_bwd_weight", dw_bytes, "GB/s", lambda: torch.nn.grad.conv2d_weight(x, wd.shape, y, padding=1, groups=C))
    w1 = rnd(C, C, 1, 1)
    timed(f"conv1x1_{sz}_fwd", 2.0 * N * C * H * H * C, "GFLOP/s", lambda: F.conv2d(x, w1, bias))
    lw = rnd(C)

    def layernorm2d():
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        return (x - mu) / (var + 1e-6).sqrt() * lw.view(1, C, 1, 1) + bias.view(1, C, 1, 1)
    timed(f"layernorm2d_{sz}", 4.0 * 2 * x.numel(), "GB/s", layernorm2d)
    timed(f"layernorm2d_fused_{sz}", 4.0 * 2 * x.numel(),
          "GB/s", lambda: F.layer_norm(x.permute(0, 2, 3, 1), (C,), lw, bias, 1e-6).permute(0, 3, 1, 2))
    timed(f"add_{sz}", 4.0 * 3 * x.numel(), "GB/s", lambda: torch.add(x, y))
    half = x[:, :, : H // 2, : H // 2].contiguous()
    timed(f"bilinear_x2_{sz}", 4.0 * (half.numel() + x.numel()), "GB/s",
          lambda: F.interpolate(half, size=(H, H), mode="bilinear", align_corners=False))
    del x, y, half

np_ = 100_000 if args.small else 10_000_000
p = torch.nn.Parameter(rnd(np_))
p.grad = rnd(np_)
for fused in (True, False):
    try:
        opt = torch.optim.Adam([p], lr=1e-4, fused=fused) if fused else torch.optim.Adam([p], lr=1e-4, foreach=False)
    except Exception:
        continue
    timed(f"adam_{'100k' if args.small else '10m'}{'' if fused else '_unfused'}", 4.0 * 7 * np_, "GB/s", opt.step)

if args.out:
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "torch_gpu_ops.json"), "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "rows": rows}, f, indent=1)
