#!/bin/bash
# Per-shape time of the GEMMs and convolutions that the mlp and conv nets run per time step (batch 64) and per sequence
# (BPTT, T = 4: batch 256), ours (`IlgpuSnn.Benchmarks throughput --ops`) against PyTorch (torch_shapes.py) on the same
# cores, interleaved: ROUNDS rounds of (ours, PyTorch), each a median of REPS timings per shape; the table shows per
# shape the median over the rounds of wall us per call and of CPU us per call (all threads of the process) on each
# side, and ours / PyTorch. Outside the solution: CI never runs it.
# Usage: benchmarks/peers/shapes.sh   (from the repository root; after `dotnet build benchmarks/IlgpuSnn.Benchmarks -c Release`)
# Environment: ROUNDS (3), REPS (5), THREADS (2, PyTorch's), DENSITY (1: dense inputs; below 1: 0/1 spikes of that
#              density), SPECS (default: every product of both nets), OUT (out/shapes), BENCH (the benchmark dll),
#              BASE (optional: the benchmark dll of an earlier build, timed in the same rounds as another column).
set -euo pipefail
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-5}
THREADS=${THREADS:-2}
DENSITY=${DENSITY:-1}
OUT=${OUT:-out/shapes}
BASE=${BASE:-}
BENCH=${BENCH:-benchmarks/IlgpuSnn.Benchmarks/bin/Release/net10.0/IlgpuSnn.Benchmarks.dll}
HERE=$(cd "$(dirname "$0")" && pwd)
step="linear:64x256x784 linear-wgrad:64x256x784 linear:64x10x256 linear-wgrad:64x10x256 linear-igrad:64x10x256
conv:64x1x32x28 conv-wgrad:64x1x32x28 conv:64x32x64x14 conv-wgrad:64x32x64x14 conv-igrad:64x32x64x14
linear:64x10x3136 linear-wgrad:64x10x3136 linear-igrad:64x10x3136"
SPECS=${SPECS:-$(echo $step $(echo $step | sed 's/:64x/:256x/g') | tr ' ' ',')}
# PyTorch's large tensors come from glibc malloc: tuned thresholds as in compare.sh (ours keeps tensors in its pool).
export MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456 TORCH_THREADS=$THREADS
mkdir -p "$OUT"
: >"$OUT/ours.txt"; : >"$OUT/torch.txt"; : >"$OUT/base.txt"
echo "# Per-shape products, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load at start $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS interleaved rounds, density $DENSITY"
for r in $(seq "$ROUNDS"); do
  if [ -n "$BASE" ]; then dotnet "$BASE" throughput --gemm "" --ops "$SPECS" --density "$DENSITY" --reps "$REPS" >>"$OUT/base.txt"; fi
  dotnet "$BENCH" throughput --gemm "" --ops "$SPECS" --density "$DENSITY" --reps "$REPS" >>"$OUT/ours.txt"
  /usr/bin/python3 "$HERE/torch_shapes.py" "$SPECS" "$DENSITY" "$REPS" >>"$OUT/torch.txt"
done
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| product | ours us | PyTorch us | ours / PyTorch (wall) | ours CPU-us | PyTorch CPU-us | ours / PyTorch (CPU) | ours worker-us |${BASE:+ earlier build us | earlier CPU-us | earlier worker-us |}"
echo "|---|---|---|---|---|---|---|---|${BASE:+---|---|---|}"
# Median over the rounds of field $2 (us=, cpu_us= or worker_us=) for spec $1 in file $3.
med() { grep " op $1 " "$3" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for s in $(echo "$SPECS" | tr ',' ' '); do
  o=$(med "$s" us "$OUT/ours.txt"); t=$(med "$s" us "$OUT/torch.txt")
  oc=$(med "$s" cpu_us "$OUT/ours.txt"); tc=$(med "$s" cpu_us "$OUT/torch.txt"); ow=$(med "$s" worker_us "$OUT/ours.txt")
  base=""
  if [ -n "$BASE" ]; then base=" $(med "$s" us "$OUT/base.txt") | $(med "$s" cpu_us "$OUT/base.txt") | $(med "$s" worker_us "$OUT/base.txt") |"; fi
  echo "| $s | $o | $t | $(awk -v a="$o" -v b="$t" 'BEGIN{printf "%.2f", a/b}') | $oc | $tc | $(awk -v a="$oc" -v b="$tc" 'BEGIN{printf "%.2f", a/b}') | $ow |$base"
done
