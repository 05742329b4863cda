#!/usr/bin/env python3
"""UGPNet-512 deblur forward on the CPU in PyTorch, as a yardstick for the C# engine's figure
(UGPNetForwardFigures: `ugpnet_deblur_512_forward`). Written from the spec (docs/ugpnet-spec.md §1-4),
same layout as the C# model: NAFNet GoPro-w32 with TLC local SCA (window 384 >> level) + R_se/R_mg/to-image,
E_F (BN ConvBlocks) + map2style (12 heads), StyleGAN2-512 (cm 2) run from the 16x16 F code with fixed
noise, fusion (conv + 8 ResBlocks + conv). Random weights; batch 1; no grad; 2 threads.

Usage: /usr/bin/python3 benchmarks/pytorch/ugpnet_cpu_reference.py [--threads 2] [--size 512]
Prints `torch_ugpnet_deblur_512_forward: X s`, per-module times and the peak RSS.
"""
import argparse
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- restoration (NAFNet-TLC + heads)
class LayerNorm2d(nn.Module):
    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        return (x - mu) / (var + self.eps).sqrt() * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class SpatialMean(nn.Module):
    def __init__(self, window=None):
        super().__init__()
        self.window = window

    def forward(self, x):
        h, w = x.shape[2:]
        k = self.window
        if k is None or (k >= h and k >= w):
            return x.mean((2, 3), keepdim=True)
        k1, k2 = min(h, k), min(w, k)
        # mean over every valid k1 x k2 window through an integral image (as upstream TLC does;
        # avg_pool2d with a 384x384 window would cost O(k^2) per pixel)
        s = F.pad(x.cumsum(2).cumsum(3), (1, 0, 1, 0))
        box = (s[:, :, k1:, k2:] - s[:, :, :-k1, k2:] - s[:, :, k1:, :-k2] + s[:, :, :-k1, :-k2]) / (k1 * k2)
        dh, dw = h - box.shape[2], w - box.shape[3]
        return F.pad(box, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2), mode='replicate')


class NAFBlock(nn.Module):
    def __init__(self, c, window=None):
        super().__init__()
        dw = 2 * c
        self.conv1 = nn.Conv2d(c, dw, 1)
        self.conv2 = nn.Conv2d(dw, dw, 3, padding=1, groups=dw)
        self.conv3 = nn.Conv2d(dw // 2, c, 1)
        self.sca = nn.Sequential(SpatialMean(window), nn.Conv2d(dw // 2, dw // 2, 1))
        self.conv4 = nn.Conv2d(c, 2 * c, 1)
        self.conv5 = nn.Conv2d(c, c, 1)
        self.norm1 = LayerNorm2d(c)
        self.norm2 = LayerNorm2d(c)
        self.beta = nn.Parameter(torch.randn(1, c, 1, 1) * 0.1)
        self.gamma = nn.Parameter(torch.randn(1, c, 1, 1) * 0.1)

    def forward(self, inp):
        x = self.conv2(self.conv1(self.norm1(inp)))
        a, b = x.chunk(2, 1)
        x = a * b
        x = x * self.sca(x)
        y = inp + self.conv3(x) * self.beta
        a, b = self.conv4(self.norm2(y)).chunk(2, 1)
        return y + self.conv5(a * b) * self.gamma


class NAFNetFeature(nn.Module):
    """NAFNet up to its last decoder block (UGPNet's R')."""

    def __init__(self, width=32, enc=(1, 1, 1, 28), middle=1, dec=(1, 1, 1, 1), tlc=384):
        super().__init__()
        self.intro = nn.Conv2d(3, width, 3, padding=1)
        self.ending = nn.Conv2d(width, 3, 3, padding=1)  # counted, unused by UGPNet
        self.encoders, self.downs, self.ups, self.decoders = nn.ModuleList(), nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        win = (lambda l: tlc >> l) if tlc else (lambda l: None)
        c = width
        for l, n in enumerate(enc):
            self.encoders.append(nn.Sequential(*[NAFBlock(c, win(l)) for _ in range(n)]))
            self.downs.append(nn.Conv2d(c, 2 * c, 2, 2))
            c *= 2
        self.middle_blks = nn.Sequential(*[NAFBlock(c, win(len(enc))) for _ in range(middle)])
        for i, n in enumerate(dec):
            l = len(enc) - 1 - i
            self.ups.append(nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.PixelShuffle(2)))
            c //= 2
            self.decoders.append(nn.Sequential(*[NAFBlock(c, win(l)) for _ in range(n)]))

    def forward(self, x):
        x = self.intro(x)
        skips = []
        for e, d in zip(self.encoders, self.downs):
            x = e(x)
            skips.append(x)
            x = d(x)
        x = self.middle_blks(x)
        for u, d, s in zip(self.ups, self.decoders, reversed(skips)):
            x = d(u(x) + s)
        return x


class ConvBlock(nn.Module):
    def __init__(self, i, o, bn=False, pool=False):
        super().__init__()
        self.conv = nn.ModuleList([nn.Conv2d(i if j == 0 else o, o, 3, padding=1) for j in range(3)])
        self.bn = nn.ModuleList([nn.BatchNorm2d(o) for _ in range(3)]) if bn else None
        self.pool = pool

    def forward(self, x):
        for j in range(3):
            x = self.conv[j](x)
            if self.bn is not None:
                x = self.bn[j](x)
            x = F.leaky_relu(x, 0.2)
        return F.avg_pool2d(x, 2) if self.pool else x


class RestorationModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.regression = NAFNetFeature()
        self.input_encoder = ConvBlock(3, 32)
        self.merge_decoder = nn.ModuleList([ConvBlock(32, 64), ConvBlock(64, 64)])
        self.to_img = nn.Conv2d(64, 3, 3, padding=1)

    def forward(self, x):
        f = self.regression(x) + self.input_encoder(x)
        f = self.merge_decoder[1](self.merge_decoder[0](f))
        return F.leaky_relu(self.to_img(f), 0.2), f


# ---------------------------------------------------------------- StyleGAN2 (BasicSR arithmetic, written from the spec)
def blur_kernel(gain):
    k = torch.tensor([1., 3., 3., 1.])
    k = torch.outer(k, k)
    return k / k.sum() * gain


def fir(x, k, up=1, pad=(0, 0)):
    """upfirdn2d with down = 1 and the same pad on both axes: zero insertion, pad, true convolution."""
    n, c, h, w = x.shape
    x = x.reshape(n * c, 1, h, w)
    if up > 1:
        z = x.new_zeros(n * c, 1, h * up, w * up)
        z[:, :, ::up, ::up] = x
        x = z
    x = F.pad(x, (pad[0], pad[1], pad[0], pad[1]))
    x = F.conv2d(x, torch.flip(k, [0, 1]).view(1, 1, 4, 4))
    return x.reshape(n, c, x.shape[2], x.shape[3])


class EqualLinear(nn.Module):
    def __init__(self, i, o, bias_init=0., lr_mul=1.):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(o, i) / lr_mul)
        self.bias = nn.Parameter(torch.full((o,), bias_init))
        self.scale, self.lr_mul = lr_mul / math.sqrt(i), lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class ModulatedConv(nn.Module):
    def __init__(self, i, o, k, style, demod=True, up=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, o, i, k, k))
        self.modulation = EqualLinear(style, i, bias_init=1.)
        self.scale, self.demod, self.up, self.k, self.o = 1 / math.sqrt(i * k * k), demod, up, k, o
        self.register_buffer('blur', blur_kernel(4.))

    def forward(self, x, style):
        b, c, h, w = x.shape
        s = self.modulation(style).view(b, 1, c, 1, 1)
        wt = self.scale * self.weight * s
        if self.demod:
            wt = wt * torch.rsqrt(wt.pow(2).sum([2, 3, 4], keepdim=True) + 1e-8)
        x = x.reshape(1, b * c, h, w)
        if self.up:
            wt = wt.transpose(1, 2).reshape(b * c, self.o, self.k, self.k)
            out = F.conv_transpose2d(x, wt, stride=2, padding=0, groups=b)
            return fir(out.view(b, self.o, out.shape[2], out.shape[3]), self.blur, pad=(1, 1))
        out = F.conv2d(x, wt.reshape(b * self.o, c, self.k, self.k), padding=self.k // 2, groups=b)
        return out.view(b, self.o, h, w)


class StyleConv(nn.Module):
    def __init__(self, i, o, style, up=False):
        super().__init__()
        self.modulated_conv = ModulatedConv(i, o, 3, style, True, up)
        self.weight = nn.Parameter(torch.full((1,), 0.1))
        self.bias = nn.Parameter(torch.zeros(o))

    def forward(self, x, style, noise):
        out = self.modulated_conv(x, style) + self.weight * noise
        return F.leaky_relu(out + self.bias.view(1, -1, 1, 1), 0.2) * math.sqrt(2)


class ToRGB(nn.Module):
    def __init__(self, i, style):
        super().__init__()
        self.modulated_conv = ModulatedConv(i, 3, 1, style, demod=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))
        self.register_buffer('blur', blur_kernel(4.))

    def forward(self, x, style, skip=None):
        out = self.modulated_conv(x, style) + self.bias
        if skip is not None:
            out = out + fir(skip, self.blur, up=2, pad=(2, 1))
        return out


class GeneratorFromBase(nn.Module):
    """The StyleGAN2-512 stages UGPNet runs: the 16x16 conv on the F code, then 32..512 (fixed noise)."""

    def __init__(self, style=512):
        super().__init__()
        ch = {16: 512, 32: 512, 64: 512, 128: 256, 256: 128, 512: 64}
        self.conv16 = StyleConv(512, 512, style)
        self.rgb16 = ToRGB(512, style)
        self.ups, self.convs, self.rgbs = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for r in (32, 64, 128, 256, 512):
            self.ups.append(StyleConv(ch[r // 2], ch[r], style, up=True))
            self.convs.append(StyleConv(ch[r], ch[r], style))
            self.rgbs.append(ToRGB(ch[r], style))
        for i in range(15):
            r = 2 ** ((i + 5) // 2)
            self.register_buffer(f'noise{i}', torch.randn(1, 1, r, r))

    def forward(self, fcode, codes):
        x = self.conv16(fcode, codes[:, 0], self.noise4)
        skip = self.rgb16(x, codes[:, 1])
        ci = 1
        for j, (u, c, t) in enumerate(zip(self.ups, self.convs, self.rgbs)):
            x = u(x, codes[:, ci], getattr(self, f'noise{2 * j + 5}'))
            x = c(x, codes[:, ci + 1], getattr(self, f'noise{2 * j + 6}'))
            skip = t(x, codes[:, ci + 2], skip)
            ci += 2
        return skip, x


class SynthesisModule(nn.Module):
    def __init__(self):
        super().__init__()
        chans = [16, 32, 64, 128, 256, 512]
        self.downblocks = nn.ModuleList([ConvBlock(3 if i == 0 else chans[i - 1], c, bn=True, pool=i < 5) for i, c in enumerate(chans)])
        self.conv1x1 = nn.Conv2d(512, 512, 1)
        convs = []
        for i in range(5):
            convs += [nn.Conv2d(128 if i == 0 else 512, 512, 3, 2, 1), nn.LeakyReLU(0.01)]
        self.convs = nn.Sequential(*convs)
        self.linear = nn.ModuleList([nn.Linear(512, 512) for _ in range(12)])
        self.generator = GeneratorFromBase()

    def forward(self, x):
        tap = None
        for i, blk in enumerate(self.downblocks):
            x = blk(x)
            if i == 3:
                tap = x
        fcode = self.conv1x1(x)
        v = self.convs(tap).flatten(1)
        codes = torch.stack([l(v) for l in self.linear], 1)
        rgb, fsyn = self.generator(fcode, codes)
        return (rgb + 1) / 2, fsyn


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1))

    def forward(self, h):
        return F.relu(h + self.body(h))


class FusionModule(nn.Module):
    def __init__(self, c=64):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(c) for _ in range(8)])
        self.last = nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, fsyn, freg):
        return self.last(self.body(self.conv(fsyn) + freg))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--size', type=int, default=512)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    res, syn, fus = RestorationModule().eval(), SynthesisModule().eval(), FusionModule().eval()
    build = time.perf_counter() - t0
    x = torch.rand(1, 3, args.size, args.size)
    with torch.no_grad():
        s = time.perf_counter()
        xreg, freg = res(x)
        t_res = time.perf_counter() - s
        s2 = time.perf_counter()
        xsyn, fsyn = syn(xreg)
        t_syn = time.perf_counter() - s2
        s3 = time.perf_counter()
        xhat = fus(fsyn, freg)
        t_fus = time.perf_counter() - s3
        total = time.perf_counter() - s
    n_used = sum(p.numel() for m in (res, syn, fus) for p in m.parameters())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    tag = f'torch_ugpnet_deblur_{args.size}'
    print(f'{tag}_build: {build:.3f} s')
    print(f'{tag}_forward: {total:.3f} s')
    print(f'{tag}_forward_restoration: {t_res:.3f} s')
    print(f'{tag}_forward_synthesis: {t_syn:.3f} s')
    print(f'{tag}_forward_fusion: {t_fus:.3f} s')
    print(f'{tag}_peak_rss: {peak_mb:.1f} MB')
    print(f'{tag}_params_on_the_used_path: {n_used}')
    print(f'{tag}_xhat_shape: {tuple(xhat.shape)}  torch {torch.__version__}, {torch.get_num_threads()} threads')


if __name__ == '__main__':
    main()
