#!/usr/bin/python3
"""PyTorch peer of `snn train` for side-by-side timing (not part of the solution; CI never runs it).

Same networks as src/IlgpuSnn/Layers/Models.cs, same neuron (LIF, decay 0.5, threshold 1, soft reset kept in the
graph, sigmoid surrogate alpha 4), same data (Fashion-MNIST IDX, pixels / 255, direct encoding repeated T times),
same sample order (a port of DataLoader.Order: SplitMix64 Fisher-Yates seeded by (seed, epoch)), same loss (per-step
cross-entropy averaged over T), same optimizer (SGD momentum 0.9, weight decay 5e-4, cosine over the batches, no
warm-up), same batch size and T. Prints the training time of the epoch (forward, backward, optimizer; data batches
are assembled before the clock starts, as our loader prefetches them on another thread).

Estimators: bptt (whole sequence, time folded into the batch), sltt (per step: the membrane path to the previous
step detached, backward every step, one optimizer step per batch), sltt-k (as sltt, back-propagating K=2 steps).

Usage: torch_peer.py --model mlp|conv --estimator bptt|sltt|sltt-k [--train-limit N] [--threads 2] [-T 4]
"""
import argparse
import gzip
import math
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix(z):
    z = (z + GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def order(count, seed, epoch):
    """DataLoader.Order: Fisher-Yates with SplitMix64 and rejection sampling."""
    perm = list(range(count))
    state = mix((seed & 0xFFFFFFFF) ^ mix(0x5EED + (epoch & 0xFFFFFFFF)))
    for i in range(count - 1, 0, -1):
        bound = i + 1
        limit = MASK - MASK % bound
        while True:
            state = (state + GOLDEN) & MASK
            r = mix(state)
            if r < limit:
                break
        j = r % bound
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Lif(torch.autograd.Function):
    """Heaviside spike with the sigmoid surrogate derivative alpha*sig(alpha x)(1 - sig(alpha x)), alpha = 4."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        s = torch.sigmoid(4.0 * x)
        return g * 4.0 * s * (1.0 - s)


def lif_sequence(inputs, decay=0.5, threshold=1.0):
    """inputs [T, ...] -> spikes [T, ...]; u = decay*v + I, s = H(u - th), v = u - th*s (reset kept in the graph)."""
    v = torch.zeros_like(inputs[0])
    out = []
    for t in range(inputs.shape[0]):
        u = decay * v + inputs[t]
        s = Lif.apply(u - threshold)
        v = u - threshold * s
        out.append(s)
    return torch.stack(out)


class Net(nn.Module):
    """Models.cs: mlp = Flatten-Linear(256, no bias)-BN-LIF-Linear(10); conv = 2x [Conv3x3 p1 no bias-BN-LIF-AvgPool2], Linear(10)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        if model == "mlp":
            self.blocks = nn.ModuleList([nn.Sequential(nn.Flatten(), nn.Linear(784, 256, bias=False), nn.BatchNorm1d(256))])
            self.pools = [None]
            self.head = nn.Linear(256, 10)
        else:
            self.blocks = nn.ModuleList([
                nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32)),
                nn.Sequential(nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64)),
            ])
            self.pools = [nn.AvgPool2d(2), nn.AvgPool2d(2)]
            self.head = nn.Linear(64 * 7 * 7, 10)

    def forward(self, x):
        """x [T, B, 1, 28, 28] -> logits [T, B, 10]; every synaptic layer sees time folded into the batch."""
        steps, batch = x.shape[0], x.shape[1]
        h = x.reshape(steps * batch, *x.shape[2:])
        for block, pool in zip(self.blocks, self.pools):
            a = block(h)
            s = lif_sequence(a.reshape(steps, batch, *a.shape[1:]))
            h = s.reshape(steps * batch, *s.shape[2:])
            if pool is not None:
                h = pool(h)
        return self.head(h.flatten(1)).reshape(steps, batch, -1)

    def step(self, x_t, state):
        """One time step for the online estimators: the membrane carried in `state` is detached (SLTT)."""
        h = x_t
        new_state = []
        for i, (block, pool) in enumerate(zip(self.blocks, self.pools)):
            a = block(h)
            v = state[i].detach() if state is not None else torch.zeros_like(a)
            u = 0.5 * v + a
            s = Lif.apply(u - 1.0)
            new_state.append(u - s)
            h = pool(s) if pool is not None else s
        return self.head(h.flatten(1)), new_state


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="mlp", choices=["mlp", "conv"])
    p.add_argument("--estimator", default="bptt", choices=["bptt", "sltt", "sltt-k"])
    p.add_argument("--train-limit", type=int, default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("-T", "--time-steps", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
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
        x = torch.from_numpy(images[idx].astype(np.float32) / 255.0).unsqueeze(1)
        batches.append((x, torch.from_numpy(labels[idx].astype(np.int64))))

    net = Net(a.model)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4)
    total = len(batches)
    steps = a.time_steps
    correct = 0
    start = time.perf_counter()
    for i, (x, y) in enumerate(batches):
        for g in opt.param_groups:
            g["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * i / total))
        opt.zero_grad(set_to_none=True)
        if a.estimator == "bptt":
            xs = x.unsqueeze(0).expand(steps, *x.shape)
            logits = net(xs)
            loss = sum(F.cross_entropy(logits[t], y) for t in range(steps)) / steps
            loss.backward()
            mean_out = logits.detach().mean(0)
        else:
            backprop = set(range(steps)) if a.estimator == "sltt" else set(
                torch.randperm(steps)[:2].tolist())
            state = None
            out_sum = torch.zeros(x.shape[0], 10)
            for t in range(steps):
                with torch.set_grad_enabled(t in backprop):
                    out, state = net.step(x, state)
                    if t in backprop:
                        (F.cross_entropy(out, y) / steps).backward()
                out_sum += out.detach()
            mean_out = out_sum / steps
        opt.step()
        correct += (mean_out.argmax(1) == y).sum().item()
    seconds = time.perf_counter() - start
    print(f"peer torch {torch.__version__} {a.model} {a.estimator} T={steps} samples={count} threads={a.threads} "
          f"train_seconds={seconds:.2f} train_acc={correct / count:.4f}")


if __name__ == "__main__":
    main()
