#!/usr/bin/env bash
# The one script to run on the GPU machine, from the repository root, after the bundle was made here with
#   /work/shared/tools/gpu-bundle.sh benchmarks/UGPNet.GpuBench        (writes .gpu/bundle.tar.xz; carry .gpu)
# It prints the GPUs, runs the ILGPU backend's self-check against the CPU backend on the GPU (PASS/FAIL),
# the op benchmark (+ NAFNet-w32 forward) and the same ops in PyTorch (fp32, TF32 off). Everything goes to $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/ugpnet-gpu-out}
DEVICE=${DEVICE:-cuda:0}
mkdir -p "$OUT"
log() { echo "== $*" | tee -a "$OUT/run.log"; }
B=/tmp/ugpnet-gpubench
rm -rf "$B" && mkdir -p "$B" && tar -xJf .gpu/bundle.tar.xz -C "$B" || { echo "no bundle at .gpu/bundle.tar.xz"; exit 1; }
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
BENCH="$B/UGPNet.GpuBench"

log "nvidia-smi"
nvidia-smi -L 2>&1 | tee "$OUT/nvidia-smi.txt"
log "devices"
timeout 60 "$BENCH" --list 2>&1 | tee "$OUT/devices.txt"
log "selfcheck on $DEVICE"
timeout 100 "$BENCH" --device "$DEVICE" --selfcheck 2>&1 | tee "$OUT/selfcheck.txt"
log "selfcheck exit ${PIPESTATUS[0]}"
log "benchmark on $DEVICE"
timeout 210 "$BENCH" --device "$DEVICE" --reps 10 --out "$OUT" 2>&1 | tee "$OUT/bench.txt"
log "benchmark exit ${PIPESTATUS[0]}"
log "pytorch reference"
timeout 120 python3 benchmarks/pytorch/gpu_ops_reference.py --reps 10 --out "$OUT" 2>&1 | tee "$OUT/torch.txt"
log "pytorch exit ${PIPESTATUS[0]}"
log "pytorch nafnet"
timeout 90 python3 benchmarks/pytorch/nafnet_gpu_reference.py --reps 10 2>&1 | tee -a "$OUT/torch.txt"
log "pytorch nafnet exit ${PIPESTATUS[0]}"
# side by side: ours / torch for every row both printed
python3 - "$OUT" <<'PY' 2>&1 | tee "$OUT/compare.txt"
import re, sys, os
out = sys.argv[1]
def rows(f):
    d = {}
    if os.path.exists(f):
        for line in open(f):
            m = re.match(r"^(\S+): ([0-9.eE+-]+) (GFLOP/s|GB/s|ms)$", line.strip())
            if m: d[m.group(1)] = (float(m.group(2)), m.group(3))
    return d
ours, torch = rows(os.path.join(out, "bench.txt")), rows(os.path.join(out, "torch.txt"))
for k, (v, u) in ours.items():
    # rows suffixed _t4 / _t8 (the other GEMM kernel) compare with the torch row of the plain name
    t = torch.get("torch_" + k) or torch.get("torch_" + re.sub(r"_t[48]$", "", k))
    if t and u != "ms" and not k.endswith("_time"):
        print(f"ratio_{k}: {v / t[0] * 100:.1f} % of torch ({v:.1f} vs {t[0]:.1f} {u})")
    elif t and u == "ms" and not k.endswith("_time"):
        print(f"ratio_{k}: {t[0] / v * 100:.1f} % of torch speed ({v:.1f} vs {t[0]:.1f} ms; ours/torch time {v / t[0]:.2f}x)")
PY
