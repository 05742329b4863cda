#!/usr/bin/env python3
"""PyTorch CUDA reference timing for NAFNet-w32 (GoPro layout, TLC local SCA), fp32 with TF32 off, eager mode.

The model is the one of nafnet_cpu_reference.py (written for this project from the spec). Prints
`torch_nafnet_w32_256: X ms` and `torch_nafnet_w32_512: X ms`, the median of synchronised no-grad forwards,
so benchmarks/gpu/run.sh can put them beside UGPNet.GpuBench's `nafnet_w32_*` rows.
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nafnet_cpu_reference import NAFNet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    dev = torch.device("cuda")
    net = NAFNet().eval().to(dev)
    for size in (256, 512):
        x = torch.rand(1, 3, size, size, device=dev)
        with torch.no_grad():
            for _ in range(3):
                net(x)
            torch.cuda.synchronize()
            times = []
            for _ in range(args.reps):
                t = time.perf_counter()
                net(x)
                torch.cuda.synchronize()
                times.append(time.perf_counter() - t)
        print(f"torch_nafnet_w32_{size}: {statistics.median(times) * 1000:.3f} ms", flush=True)


if __name__ == "__main__":
    main()
