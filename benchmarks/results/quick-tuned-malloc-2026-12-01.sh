#!/bin/bash
export MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456
cd /work/wt/peers/benchmarks/peers
for c in conv:bptt:3000 conv:sltt:3000 conv:ottt-o:3000 mlp:bptt:20000 mlp:sltt:20000 mlp:ratebp:20000; do
  IFS=: read m e n <<< "$c"
  o=$(dotnet /work/main/src/IlgpuSnn.Cli/bin/Release/net10.0/snn.dll train --model $m --estimator $e --epochs 1 --train-limit $n --test-limit 500 --out /tmp/q-$m-$e --overwrite | grep '^epoch 1:' | sed 's/.*| \([0-9.]*\) s (.*/\1/')
  p=$(/usr/bin/python3 torch_peer.py --model $m --estimator $e --train-limit $n --threads 2 | sed 's/.*train_seconds=\([0-9.]*\).*/\1/')
  echo "$m $e $n ours $o torch $p ratio $(awk -v o=$o -v p=$p 'BEGIN{printf "%.2f", o/p}')"
done
