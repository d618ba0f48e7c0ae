#!/usr/bin/python3
"""PyTorch peer of `snn train` for side-by-side timing (not part of the solution; CI never runs it).

Same networks as src/IlgpuSnn/Layers/Models.cs (torch_nets.py), same estimators with our defaults (torch_estimators.py),
same data (Fashion-MNIST IDX, pixels / 255, direct encoding repeated T times), same sample order (a port of
DataLoader.Order, dotnet_ports.py), same optimizer (SGD momentum 0.9, weight decay 5e-4 on every parameter, cosine
over the batches of the run, no warm-up; methods that update inside a sequence step it with the batch's rate), same
batch size and T. Prints the training time of the epoch (forward, backward, optimizer; data batches are assembled
before the clock starts, as our loader prefetches them on another thread). As `snn train` warms its device up on a
scratch copy of the run before its epoch clock starts (one batch: kernel compilation, first touch of the buffers), the
peer runs one iteration on a scratch copy of its net, optimizer and first batch before its clock starts (--warm-up 0
turns it off; the trained weights never see it).

Fairness check (check_peers.sh): --init loads the initial weights from one of our checkpoints and --save writes the
weights after training under our checkpoint's names, so that they can be compared with `snn train`'s.

Usage: torch_peer.py --model mlp|conv --estimator NAME [--train-limit N] [--threads 2] [-T 4] [--k 2] [--window W]
                     [--blocks B] [--update accumulated|per-window] [--init CHECKPOINT] [--save WEIGHTS.npz]
"""
import argparse
import copy
import gzip
import math
import struct
import time
from types import SimpleNamespace

import numpy as np
import torch

from dotnet_ports import iteration_seed, order
from torch_estimators import ESTIMATORS, block_ranges
from torch_nets import Net, aux_head, load_ours, save_ours


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def aux_heads(net, blocks):
    """One auxiliary head per non-final tt-lbptt block, on the spikes of the block's last hidden layer."""
    channels = [m.out_channels if hasattr(m, "out_channels") else m.out_features for m in net.syn]
    return [aux_head([channels[layers[-1]]]) for layers in block_ranges(net.depth, blocks)[:-1]]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="mlp", choices=["mlp", "conv"])
    p.add_argument("--estimator", default="bptt", choices=list(ESTIMATORS))
    p.add_argument("--train-limit", type=int, default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("-T", "--time-steps", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--k", type=int, default=2, help="sltt-k: steps back-propagated per sequence")
    p.add_argument("--window", type=int, default=None, help="tt-lbptt: truncation window (default: the whole sequence)")
    p.add_argument("--blocks", type=int, default=None, help="tt-lbptt: locally trained blocks (default: one)")
    p.add_argument("--update", default="accumulated", choices=["accumulated", "per-window"])
    p.add_argument("--init", default=None, help="our checkpoint.safetensors to take the initial weights from")
    p.add_argument("--save", default=None, help="write the trained weights (our names) to this .npz")
    p.add_argument("--log-batches", action="store_true", help="print every batch's loss")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--warm-up", type=int, default=1, choices=[0, 1], help="one untimed iteration on a scratch copy first")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    images = read_idx(f"{a.data}/train-images-idx3-ubyte.gz")
    labels = read_idx(f"{a.data}/train-labels-idx1-ubyte.gz")
    count = len(labels) if a.train_limit is None else min(a.train_limit, len(labels))
    images, labels = images[:count], labels[:count]
    perm = order(count, a.seed, 0)
    batches = []
    for b0 in range(0, count, a.batch_size):
        idx = perm[b0:b0 + a.batch_size]
        x = torch.from_numpy(images[idx].astype(np.float32) / np.float32(255.0))
        x = x.reshape(len(idx), 784) if a.model == "mlp" else x.unsqueeze(1)
        batches.append((x, torch.from_numpy(labels[idx].astype(np.int64))))

    net = Net(a.model)
    net.train()
    aux = aux_heads(net, a.blocks) if a.estimator == "tt-lbptt" and a.blocks else []
    if a.init:
        load_ours(net, a.init, aux)
    params = list(net.parameters()) + [q for h in aux for q in h.parameters()]
    opt = torch.optim.SGD(params, lr=a.lr, momentum=0.9, weight_decay=5e-4)

    def update():
        opt.step()
        opt.zero_grad(set_to_none=True)

    estimator = ESTIMATORS[a.estimator]
    ctx = SimpleNamespace(k=a.k, window=a.window, blocks=a.blocks, per_window=a.update == "per-window", aux=aux, iteration=0)
    total = len(batches)
    steps = a.time_steps
    if a.warm_up:
        warm_net, warm_aux = copy.deepcopy(net), copy.deepcopy(aux)
        warm_opt = torch.optim.SGD(list(warm_net.parameters()) + [q for h in warm_aux for q in h.parameters()],
                                   lr=a.lr, momentum=0.9, weight_decay=5e-4)

        def warm_update():
            warm_opt.step()
            warm_opt.zero_grad(set_to_none=True)

        warm_ctx = SimpleNamespace(**{**vars(ctx), "aux": warm_aux})
        estimator(warm_net, batches[0][0].clone(), batches[0][1].clone(), steps, warm_update, warm_ctx)
        del warm_net, warm_aux, warm_opt
    correct, loss_sum = 0, 0.0
    start = time.perf_counter()
    for i, (x, y) in enumerate(batches):
        for g in opt.param_groups:
            g["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * i / total))
        ctx.iteration = iteration_seed(a.seed, i)
        loss, out_sum = estimator(net, x, y, steps, update, ctx)
        correct += (out_sum.argmax(1) == y).sum().item()
        if a.log_batches or a.save:
            loss_sum += float(loss)
        if a.log_batches:
            print(f"batch {i + 1} loss {float(loss):.6f}")
    seconds = time.perf_counter() - start
    if a.save:
        save_ours(net, a.save, aux)
    print(f"peer torch {torch.__version__} {a.model} {a.estimator} T={steps} samples={count} threads={a.threads} "
          f"train_seconds={seconds:.2f} train_acc={correct / count:.4f}"
          + (f" train_loss={loss_sum / total:.6f}" if a.log_batches or a.save else ""))


if __name__ == "__main__":
    main()
