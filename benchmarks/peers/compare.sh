#!/bin/bash
# Side-by-side training time of `snn train` (IlgpuSnn, CPU accelerator), the PyTorch peer (torch_peer.py) and the
# TorchSharp peer (torchsharp/), plus SGEMM GFLOP/s of our CPU GEMM and of OpenBLAS on the same cores, all in one run.
# Outside the solution: CI never runs it.
#
# Same net, data order, optimizer, schedule, T, batch and estimator (each peer computes what our estimator computes with
# its defaults: check_peers.sh shows it weight by weight); one epoch; training time only (ours: the epoch's TrainSeconds
# from `snn train`; the peers: their timed loop). ROUNDS interleaved rounds (ours, PyTorch, TorchSharp, ours, ...), median per side.
# Every side warms up the same way before its clock starts: one untimed iteration on a scratch copy of its net
# (ours: `snn train`'s device warm-up, which it prints; the peers: --warm-up 1, their default). The CPU-s columns
# count the whole process, warm-up and data loading included.
#
# Usage: benchmarks/peers/compare.sh            (from the repository root)
# Environment: ROUNDS (2), MLP_SAMPLES (60000), CONV_SAMPLES (6000), STEP_CONV_SAMPLES (CONV_SAMPLES: conv samples for
#              the step-by-step methods sltt, sltt-k, ottt-a, ottt-o, saf-e, saf-f), CASES (model:estimator for both
#              models and every estimator, plus conv:tt-lbptt-w2b2 = tt-lbptt --window 2 --blocks 2), GEMM (1; 0 skips
#              the SGEMM section), TORCHSHARP (1: also time the TorchSharp peer, torchsharp/run.sh, in every case;
#              0 skips it), THREADS (2, torch, TorchSharp and OpenBLAS threads), OUT (out/peers), BASE_SNN (optional:
#              the snn.dll of an earlier build, timed in the same rounds as another column), PEER_OMP_WAIT (passive: see
#              below; for a loaded machine), TABLE_ONLY (1: no measuring, the table of what an earlier, possibly
#              interrupted run left in OUT; with GEMM=0).
# Needs: python3-torch and python3-numpy from Debian (/usr/bin/python3), libopenblas0-pthread selected for
# libblas.so.3 (update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3),
# the fashion-mnist dataset package; for TorchSharp: gcc and the TorchSharp-cpu 0.107.0 NuGet package (torchsharp/run.sh
# explains how its library is made to load with Debian 12's libstdc++).
set -euo pipefail
ROUNDS=${ROUNDS:-2}
MLP_SAMPLES=${MLP_SAMPLES:-60000}
CONV_SAMPLES=${CONV_SAMPLES:-6000}
STEP_CONV_SAMPLES=${STEP_CONV_SAMPLES:-$CONV_SAMPLES}
ALL="bptt tt-lbptt sltt sltt-k ottt-a ottt-o saf-e saf-f ratebp"
CASES=${CASES:-"$(for m in mlp conv; do for e in $ALL; do printf '%s:%s ' $m $e; done; done)conv:tt-lbptt-w2b2"}
GEMM=${GEMM:-1}
TORCHSHARP=${TORCHSHARP:-1}
THREADS=${THREADS:-2}
OUT=${OUT:-out/peers}
PY=/usr/bin/python3
# PyTorch's large tensors come from glibc malloc; with its default thresholds they are fresh mmap'd memory every batch,
# which costs PyTorch 2-4x on this machine (benchmarks/RESULTS.md, 18:35 UTC section). tuned (default) raises them for
# every process of the run (ours keeps tensors in its own pool); PEER_MALLOC=default keeps glibc's defaults.
PEER_MALLOC=${PEER_MALLOC:-tuned}
if [ "$PEER_MALLOC" = tuned ]; then export MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456; fi
# The peers' libtorch threads wait for work in libgomp, which spins by default: on a machine that other work loads, a
# spinning thread holds a core the other one needs, and TorchSharp's mlp BPTT took 6.7-11.6 s instead of 2.4-3.7 s with
# passive waiting (benchmarks/RESULTS.md, 05:11 UTC section). PEER_OMP_WAIT=passive sets OMP_WAIT_POLICY=PASSIVE for
# every process of the run (ours does not use OpenMP); unset (default) keeps the library's policy, as on a quiet machine.
if [ "${PEER_OMP_WAIT:-}" = passive ]; then export OMP_WAIT_POLICY=PASSIVE; fi
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"

dotnet build src/IlgpuSnn.Cli -c Release -v q -nologo >/dev/null
dotnet build benchmarks/IlgpuSnn.Benchmarks -c Release -v q -nologo >/dev/null
SNN="dotnet src/IlgpuSnn.Cli/bin/Release/net10.0/snn.dll"
if [ "$TORCHSHARP" != 0 ] && ! "$HERE/torchsharp/run.sh" --prepare >&2; then
  echo "TorchSharp peer could not be built (NuGet package TorchSharp-cpu 0.107.0, gcc): timed without it." >&2
  TORCHSHARP=0
fi
BENCH=benchmarks/IlgpuSnn.Benchmarks/bin/Release/net10.0/IlgpuSnn.Benchmarks

echo "# Side-by-side run, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- libblas.so.3 -> $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu)"
echo "- torch: $($PY -c 'import torch; print(torch.__version__, "| BLAS", torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0], "| oneDNN", torch.backends.mkldnn.is_available())')"
echo "- glibc malloc for every process: $PEER_MALLOC; OpenMP wait policy: ${OMP_WAIT_POLICY:-library default}"
echo "- threads: torch/OpenBLAS $THREADS, IlgpuSnn CPU accelerator one worker per core"
echo

# The flags of a case's estimator label (ours and both peers take the same ones).
options() {
  case "$1" in
    sltt-k) echo "--estimator sltt-k --k 2" ;;
    tt-lbptt-w2b2) echo "--estimator tt-lbptt --window 2 --blocks 2" ;;
    *) echo "--estimator $1" ;;
  esac
}
samples() {
  if [ "$1" = mlp ]; then echo "$MLP_SAMPLES"
  else case "$2" in sltt|sltt-k|ottt-a|ottt-o|saf-e|saf-f) echo "$STEP_CONV_SAMPLES" ;; *) echo "$CONV_SAMPLES" ;; esac; fi
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

if [ "$GEMM" != 0 ]; then
echo "## SGEMM GFLOP/s (median of 3 per round; ours = Gemm.Run on the CPU accelerator incl. launch + sync)"
SHAPES=${SHAPES:-512x512x512,1024x1024x1024,64x29008x288,64x288x29008:b,288x29008x64:a,256x256x784:b}
rm -f "$OUT"/gemm-*.txt
for r in $(seq "$ROUNDS"); do
  $BENCH throughput --gemm "$SHAPES" --conv 256x32x64x14 --reps 3 | tee -a "$OUT/gemm-ours.txt"
  OPENBLAS_NUM_THREADS=1 $PY "$HERE/openblas_sgemm.py" "$SHAPES" | tee -a "$OUT/gemm-openblas1.txt"
  OPENBLAS_NUM_THREADS=$THREADS $PY "$HERE/openblas_sgemm.py" "$SHAPES" | tee -a "$OUT/gemm-openblas.txt"
done
echo
echo "Wall GFLOP/s depend on the CPU share a loaded machine grants; GFLOP per CPU-second (cpu) does far less."
echo
echo "| shape | ours GFLOP/s | OpenBLAS ($THREADS thr.) | ratio | ours GFLOP/CPU-s | OpenBLAS ($THREADS thr.) GFLOP/CPU-s | ratio | OpenBLAS (1 thr.) GFLOP/s |"
echo "|---|---|---|---|---|---|---|---|"
col() { grep " $1 " "$2" | sed "s/.* $3=\([0-9.]*\).*/\1/" | median; }
for s in ${SHAPES//,/ }; do
  o=$(col "$s" "$OUT/gemm-ours.txt" gflops); b=$(col "$s" "$OUT/gemm-openblas.txt" gflops)
  oc=$(col "$s" "$OUT/gemm-ours.txt" cpugflops); bc=$(col "$s" "$OUT/gemm-openblas.txt" cpugflops)
  b1=$(col "$s" "$OUT/gemm-openblas1.txt" gflops)
  echo "| $s | $o | $b | $(awk -v o="$o" -v b="$b" 'BEGIN {printf "%.2f", o / b}') | $oc | $bc | $(awk -v o="$oc" -v b="$bc" 'BEGIN {printf "%.2f", o / b}') | $b1 |"
done
echo
fi

cpu() { awk '{print $1 + $2}' "$1"; }
# One measurement: side (ours, peer, sharp, base), model, estimator, command; appends the training seconds and the
# process's CPU seconds to the case's files.
measure() {
  local side=$1 model=$2 est=$3; shift 3
  case "$side" in
    ours|base) /usr/bin/time -f '%U %S' -o "$OUT/time.txt" "$@" | grep '^epoch 1:' | sed 's/.*| \([0-9.]*\) s (.*/\1/' >> "$OUT/$model-$est-$side.txt" ;;
    *) /usr/bin/time -f '%U %S' -o "$OUT/time.txt" "$@" | sed 's/.*train_seconds=\([0-9.]*\).*/\1/' >> "$OUT/$model-$est-$side.txt" ;;
  esac
  cpu "$OUT/time.txt" >> "$OUT/$model-$est-$side-cpu.txt"
}

# Rounds outside, cases inside: every case has its first round before any has its second, and within a round each
# case runs ours, then the peers, one after the other. TABLE_ONLY=1 prints the table of the files an earlier
# (possibly interrupted) run left in OUT, without measuring.
if [ "${TABLE_ONLY:-0}" = 0 ]; then
  for c in $CASES; do
    for side in ours peer sharp base; do : > "$OUT/${c%%:*}-${c##*:}-$side.txt"; : > "$OUT/${c%%:*}-${c##*:}-$side-cpu.txt"; done
  done
  for r in $(seq "$ROUNDS"); do
    for c in $CASES; do
      model=${c%%:*}; est=${c##*:}
      n=$(samples "$model" "$est"); opts=$(options "$est")
      measure ours "$model" "$est" $SNN train --model "$model" $opts --epochs 1 --train-limit "$n" --test-limit 500 \
        --out "$OUT/run-$model-$est" --overwrite
      if [ -n "${BASE_SNN:-}" ]; then
        measure base "$model" "$est" dotnet "$BASE_SNN" train --model "$model" $opts --epochs 1 --train-limit "$n" --test-limit 500 \
          --out "$OUT/base-$model-$est" --overwrite
      fi
      measure peer "$model" "$est" $PY "$HERE/torch_peer.py" --model "$model" $opts --train-limit "$n" --threads "$THREADS"
      if [ "$TORCHSHARP" != 0 ]; then
        measure sharp "$model" "$est" "$HERE/torchsharp/run.sh" --model "$model" $opts --train-limit "$n" --threads "$THREADS"
      fi
      echo "$(date -u +%H:%M:%S) round $r $model $est: ours $(tail -1 "$OUT/$model-$est-ours.txt") s ($(tail -1 "$OUT/$model-$est-ours-cpu.txt") CPU-s)," \
        "peer $(tail -1 "$OUT/$model-$est-peer.txt") s ($(tail -1 "$OUT/$model-$est-peer-cpu.txt") CPU-s), torchsharp $(tail -1 "$OUT/$model-$est-sharp.txt") s" >&2
    done
  done
fi

echo "## One epoch of training (median of $ROUNDS interleaved rounds)"
echo "Training seconds: ours = the epoch's TrainSeconds, the peers' = their timed loop. CPU-s: user + system time of the whole"
echo "process (start-up, data loading and JIT included on every side), which a loaded machine distorts far less than wall time."
echo
echo "| model | estimator | samples | IlgpuSnn s | PyTorch s | IlgpuSnn / PyTorch | IlgpuSnn CPU-s | PyTorch CPU-s | CPU-s ratio | TorchSharp s | IlgpuSnn / TorchSharp | TorchSharp CPU-s | CPU-s ratio | earlier build s | IlgpuSnn / earlier |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# Median of a side's values and its ratio to ours ("-" when the side has none).
versus() {
  local file=$1 ours=$2
  if [ -s "$file" ]; then
    local m; m=$(median < "$file")
    echo "$m $(awk -v o="$ours" -v p="$m" 'BEGIN {printf "%.2f", o / p}')"
  else echo "- -"; fi
}
for c in $CASES; do
  model=${c%%:*}; est=${c##*:}; n=$(samples "$model" "$est"); f="$OUT/$model-$est"
  [ -s "$f-ours.txt" ] || continue
  o=$(median < "$f-ours.txt"); oc=$(median < "$f-ours-cpu.txt")
  read -r p ratio <<< "$(versus "$f-peer.txt" "$o")"; read -r pc cratio <<< "$(versus "$f-peer-cpu.txt" "$oc")"
  read -r t tratio <<< "$(versus "$f-sharp.txt" "$o")"; read -r tc tcratio <<< "$(versus "$f-sharp-cpu.txt" "$oc")"
  read -r b bratio <<< "$(versus "$f-base.txt" "$o")"
  echo "| $model | $est | $n | $o | $p | $ratio | $oc | $pc | $cratio | $t | $tratio | $tc | $tcratio | $b | $bratio |"
done
echo
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
