#!/usr/bin/env python3
"""PyTorch CPU reference timing for NAFNet-w32 in the GoPro layout (UGPNet's deblur regression net).

Written for this project from spec section 2.1 (not upstream code): width 32, encoder blocks 1,1,1,28,
1 middle block, decoder blocks 1,1,1,1, input padded to a multiple of 16. SCA pooling is the TLC local
variant (window 384/2^level, box mean over valid windows via an integral image, replicate-padded back;
global mean when the window covers the map), as the C# benchmark uses; `--global-pool` times the plain
global-mean NAFNet too.

Run:  /usr/bin/python3 benchmarks/pytorch/nafnet_cpu_reference.py   (PyTorch 1.13, CPU, 2 threads)
Prints `torch_nafnet_w32_256: X s` and `torch_nafnet_w32_512: X s` (median of timed no-grad forwards).
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def spatial_mean(x, window):
    h, w = x.shape[-2:]
    if window is None or (window >= h and window >= w):
        return x.mean(dim=(2, 3), keepdim=True)
    k1, k2 = min(h, window), min(w, window)
    s = F.pad(x.cumsum(-1).cumsum(-2), (1, 0, 1, 0))
    box = (s[:, :, k1:, k2:] - s[:, :, :-k1, k2:] - s[:, :, k1:, :-k2] + s[:, :, :-k1, :-k2]) / (k1 * k2)
    dh, dw = h - box.shape[-2], w - box.shape[-1]
    return F.pad(box, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2), mode="replicate")


class Block(nn.Module):
    def __init__(self, c, window):
        super().__init__()
        self.window = window
        self.norm1_w = nn.Parameter(torch.ones(c)); self.norm1_b = nn.Parameter(torch.zeros(c))
        self.norm2_w = nn.Parameter(torch.ones(c)); self.norm2_b = nn.Parameter(torch.zeros(c))
        self.conv1 = nn.Conv2d(c, 2 * c, 1)
        self.conv2 = nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c)
        self.conv3 = nn.Conv2d(c, c, 1)
        self.sca = nn.Conv2d(c, c, 1)
        self.conv4 = nn.Conv2d(c, 2 * c, 1)
        self.conv5 = nn.Conv2d(c, c, 1)
        # random (not zero) residual scales so the timed graph does real work downstream
        self.beta = nn.Parameter(torch.randn(1, c, 1, 1) * 0.1)
        self.gamma = nn.Parameter(torch.randn(1, c, 1, 1) * 0.1)

    @staticmethod
    def ln(x, w, b):
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        return (x - mu) / (var + 1e-6).sqrt() * w.view(1, -1, 1, 1) + b.view(1, -1, 1, 1)

    def forward(self, inp):
        x = self.conv2(self.conv1(self.ln(inp, self.norm1_w, self.norm1_b)))
        a, b = x.chunk(2, dim=1)
        x = a * b
        x = x * self.sca(spatial_mean(x, self.window))
        y = inp + self.conv3(x) * self.beta
        a, b = self.conv4(self.ln(y, self.norm2_w, self.norm2_b)).chunk(2, dim=1)
        return y + self.conv5(a * b) * self.gamma


class NAFNet(nn.Module):
    def __init__(self, width=32, enc=(1, 1, 1, 28), mid=1, dec=(1, 1, 1, 1), tlc_base=384):
        super().__init__()
        win = (lambda l: tlc_base >> l) if tlc_base else (lambda l: None)
        self.intro = nn.Conv2d(3, width, 3, padding=1)
        self.ending = nn.Conv2d(width, 3, 3, padding=1)
        self.encoders, self.downs, self.ups, self.decoders = nn.ModuleList(), nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        c = width
        for l, n in enumerate(enc):
            self.encoders.append(nn.Sequential(*[Block(c, win(l)) for _ in range(n)]))
            self.downs.append(nn.Conv2d(c, 2 * c, 2, 2))
            c *= 2
        self.middle = nn.Sequential(*[Block(c, win(len(enc))) for _ in range(mid)])
        for i, n in enumerate(dec):
            self.ups.append(nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.PixelShuffle(2)))
            c //= 2
            self.decoders.append(nn.Sequential(*[Block(c, win(len(enc) - 1 - i)) for _ in range(n)]))
        self.pad = 2 ** len(enc)

    def forward(self, inp):
        h, w = inp.shape[-2:]
        x = F.pad(inp, (0, (-w) % self.pad, 0, (-h) % self.pad))
        padded = x
        x = self.intro(x)
        skips = []
        for e, d in zip(self.encoders, self.downs):
            x = e(x); skips.append(x); x = d(x)
        x = self.middle(x)
        for u, d, s in zip(self.ups, self.decoders, reversed(skips)):
            x = d(u(x) + s)
        return (self.ending(x) + padded)[:, :, :h, :w]


def median_seconds(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--global-pool", action="store_true", help="also time the global-mean (non-TLC) variant")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    variants = [("", 384)] + ([("_global", None)] if args.global_pool else [])
    for suffix, base in variants:
        net = NAFNet(tlc_base=base).eval()
        assert sum(p.numel() for p in net.parameters()) == 17_111_907
        for size in (256, 512):
            x = torch.rand(1, 3, size, size)
            with torch.no_grad():
                s = median_seconds(lambda: net(x), args.reps)
            print(f"torch_nafnet_w32{suffix}_{size}: {s:.3f} s", flush=True)


if __name__ == "__main__":
    main()
