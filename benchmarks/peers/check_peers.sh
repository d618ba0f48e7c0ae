#!/bin/bash
# Fairness check of the peers (torch_peer.py, the TorchSharp peer torchsharp/): each peer must compute what our estimator
# computes. For every model and estimator: `snn train` runs 2 batches (128 samples, T = 4, its defaults otherwise) from
# its seeded initial weights and writes its checkpoint; each peer starts from the same initial weights (read from a
# checkpoint of a run with lr 1e-30, i.e. the untouched initialisation), trains the same 2 batches and writes its weights;
# check_peers.py compares the weight changes (and the BatchNorm running statistics and the train loss), one table per
# peer (the TorchSharp table also compares it with the PyTorch peer). Outside the solution: CI never runs it.
#
# Usage: benchmarks/peers/check_peers.sh        (from the repository root)
# Environment: MODELS ("mlp conv"), ESTIMATORS (all of `snn train`, plus tt-lbptt-w2b2 = --window 2 --blocks 2 on
#              conv), SAMPLES (128), OUT (out/check-peers), TORCHSHARP (1: also check the TorchSharp peer; 0 skips it).
set -euo pipefail
MODELS=${MODELS:-"mlp conv"}
ESTIMATORS=${ESTIMATORS:-"bptt tt-lbptt sltt sltt-k ottt-a ottt-o saf-e saf-f ratebp"}
SAMPLES=${SAMPLES:-128}
OUT=${OUT:-out/check-peers}
TORCHSHARP=${TORCHSHARP:-1}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
dotnet build src/IlgpuSnn.Cli -c Release -v q -nologo >/dev/null
if [ "$TORCHSHARP" != 0 ] && ! "$HERE/torchsharp/run.sh" --prepare >&2; then
  echo "TorchSharp peer could not be built (NuGet package TorchSharp-cpu 0.107.0, gcc): checked without it." >&2
  TORCHSHARP=0
fi
SNN="dotnet src/IlgpuSnn.Cli/bin/Release/net10.0/snn.dll"

# The options of a case label: the estimator and its settings (the peer takes the same flags).
options() {
  case "$1" in
    sltt-k) echo "--estimator sltt-k --k 2" ;;
    tt-lbptt-w2b2) echo "--estimator tt-lbptt --window 2 --blocks 2" ;;
    *) echo "--estimator $1" ;;
  esac
}

for model in $MODELS; do
  cases=$ESTIMATORS
  [ "$model" = conv ] && cases="$cases tt-lbptt-w2b2"
  $SNN train --model "$model" --lr 1e-30 --epochs 1 --train-limit 64 --test-limit 64 --out "$OUT/init-$model" --overwrite >/dev/null
  for c in $cases; do
    init="$OUT/init-$model"
    if [ "$c" = tt-lbptt-w2b2 ]; then  # the auxiliary head's initial weights are in this method's checkpoint only
      init="$OUT/init-$model-$c"
      $SNN train --model "$model" $(options "$c") --lr 1e-30 --epochs 1 --train-limit 64 --test-limit 64 --out "$init" --overwrite >/dev/null
    fi
    $SNN train --model "$model" $(options "$c") --epochs 1 --train-limit "$SAMPLES" --test-limit 64 --out "$OUT/ours-$model-$c" --overwrite >/dev/null
    $PY "$HERE/torch_peer.py" --model "$model" $(options "$c") --train-limit "$SAMPLES" --init "$init/checkpoint.safetensors" \
      --save "$OUT/peer-$model-$c.npz" > "$OUT/peer-$model-$c.txt"
    if [ "$TORCHSHARP" != 0 ]; then
      "$HERE/torchsharp/run.sh" --model "$model" $(options "$c") --train-limit "$SAMPLES" --init "$init/checkpoint.safetensors" \
        --save "$OUT/sharp-$model-$c.npz" > "$OUT/sharp-$model-$c.txt"
    fi
    echo "ran $model $c" >&2
  done
  $PY "$HERE/check_peers.py" "$OUT" "$model" $cases
  if [ "$TORCHSHARP" != 0 ]; then $PY "$HERE/check_peers.py" "$OUT" "$model" --peer sharp $cases; fi
done
