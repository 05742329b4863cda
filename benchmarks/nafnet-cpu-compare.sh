#!/bin/sh
# NAFNet-w32 (GoPro layout) forward on the CPU: ours against PyTorch 1.13 (Debian's python3-torch), alternating
# ROUNDS times in one session so both see the same machine load; prints every round and the median of the rounds.
# Run from the repository root: sh benchmarks/nafnet-cpu-compare.sh [ROUNDS] | tee results/....txt
# The shared 2-core machines are noisy (one program's median moves by 30 % between rounds); alternating rounds
# and taking the median across them is what keeps the comparison fair.
set -e
ROUNDS=${1:-5}
dotnet build -c Release benchmarks/UGPNet.Benchmarks > /dev/null
OURS="dotnet benchmarks/UGPNet.Benchmarks/bin/Release/net10.0/UGPNet.Benchmarks.dll --quick Nafnet"
TORCH="/usr/bin/python3 benchmarks/pytorch/nafnet_cpu_reference.py --reps 5 --global-pool"
LOG=$(mktemp)
i=1
while [ "$i" -le "$ROUNDS" ]; do
  echo "round $i"
  $OURS | grep '^nafnet_' | tee -a "$LOG"
  OMP_NUM_THREADS=2 $TORCH | grep '^torch_' | tee -a "$LOG"
  i=$((i + 1))
done
echo "median of $ROUNDS rounds:"
for name in $(cut -d: -f1 "$LOG" | sort -u); do
  grep "^$name:" "$LOG" | awk '{print $2}' | sort -g | awk -v n="$name" '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%s: %.3f s\n", n, m}'
done
rm -f "$LOG"
