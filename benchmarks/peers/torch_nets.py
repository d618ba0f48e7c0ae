"""The networks of `snn train --model mlp|conv` in PyTorch, the LIF neuron, and weight exchange with our checkpoints.

Models.cs: mlp = Flatten-Linear(256, no bias)-BN-LIF-Linear(10); conv = 2x [Conv3x3 p1 no bias-BN-LIF-AvgPool2]-Flatten-
Linear(10). LIF (NeuronSpec "lif"): decay 0.5, threshold 1, soft reset, reset kept in the graph, spike H(u - 1) with the
sigmoid surrogate alpha 4. BatchNorm: PyTorch's (momentum 0.1, eps 1e-5), as ours.
"""
import json
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DECAY = 0.5
THRESHOLD = 1.0
ALPHA = 4.0


def surrogate(z):
    """Sigmoid surrogate derivative alpha*sig(alpha z)(1 - sig(alpha z))."""
    s = torch.sigmoid(ALPHA * z)
    return ALPHA * s * (1.0 - s)


class Spike(torch.autograd.Function):
    """Heaviside spike H(z), z = u - threshold, with the sigmoid surrogate derivative."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return (z >= 0).to(z.dtype)

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * surrogate(z)


def lif_sequence(current, v=None):
    """current [T, ...] -> (spikes [T, ...], final v); u = decay*v + I, s = H(u - th), v = u - th*s (reset in the graph).
    A given start v enters as a constant (the state carried over from an earlier window)."""
    out = []
    for t in range(current.shape[0]):
        u = current[t] if v is None else DECAY * v + current[t]
        s = Spike.apply(u - THRESHOLD)
        v = u - THRESHOLD * s
        out.append(s)
    return torch.stack(out), v


def lif_step(current, v):
    """One step with the carried state v a constant (SLTT's cut before the leak) -> (spikes, next state, detached)."""
    u = current if v is None else DECAY * v + current
    s = Spike.apply(u - THRESHOLD)
    return s, (u - THRESHOLD * s).detach()


class Net(nn.Module):
    """Hidden layer i = syn[i] -> bn[i] -> LIF -> (AvgPool2 if pooled[i]); then head(flatten). The mlp takes flat inputs
    (our Flatten is a view, so the peer flattens the images once when it assembles the batches)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        if model == "mlp":
            self.syn = nn.ModuleList([nn.Linear(784, 256, bias=False)])
            self.bn = nn.ModuleList([nn.BatchNorm1d(256)])
            self.pooled = [False]
            self.head = nn.Linear(256, 10)
            # Our layer index of each module (Models.cs order: Flatten, Linear, BatchNorm, LIF, Linear).
            self.ours = {"syn.0": 1, "bn.0": 2, "head": 4}
        else:
            self.syn = nn.ModuleList([nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.Conv2d(32, 64, 3, padding=1, bias=False)])
            self.bn = nn.ModuleList([nn.BatchNorm2d(32), nn.BatchNorm2d(64)])
            self.pooled = [True, True]
            self.head = nn.Linear(64 * 7 * 7, 10)
            self.ours = {"syn.0": 0, "bn.0": 1, "syn.1": 4, "bn.1": 5, "head": 9}

    @property
    def depth(self):
        return len(self.syn)

    def after_spikes(self, i, s):
        """What follows the LIF of hidden layer i (pooling), applied to spikes and to traces alike."""
        return F.avg_pool2d(s, 2) if self.pooled[i] else s

    def readout(self, h):
        return self.head(h.flatten(1))


def aux_head(block_output_shape):
    """TT-LBPTT's default auxiliary head (AuxiliaryHead.PoolLinear): global average pooling of [C, H, W], then Linear(C,
    10); a flat output gets Linear only."""
    features = block_output_shape[0]
    return nn.Linear(features, 10)


def apply_aux_head(linear, h):
    return linear(h.mean(dim=(2, 3)) if h.dim() == 4 else h)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n, = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", f"{name}: {entry['dtype']}"
        a, b = entry["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + a:8 + n + b], dtype="<f4").reshape(entry["shape"])
    return out


def our_names(net, aux=()):
    """{our checkpoint name: peer tensor} for every parameter and BatchNorm buffer (aux heads: estimator.{i}.*)."""
    names = {}
    for key, index in net.ours.items():
        module = net.get_submodule(key)
        for p in ("weight", "bias", "running_mean", "running_var"):
            t = getattr(module, p, None)
            if t is not None:
                names[f"layers.{index}.{p}"] = t
    i = 0
    for linear in aux:
        for p in ("weight", "bias"):
            names[f"estimator.{i}.{p}"] = getattr(linear, p)
            i += 1
    return names


def load_ours(net, path, aux=()):
    """Copies the parameters of our checkpoint (safetensors) into the peer (BatchNorm's running statistics keep their
    initial 0 and 1: the checkpoint holds those of the run that wrote it)."""
    stored = read_safetensors(path)
    with torch.no_grad():
        for name, t in our_names(net, aux).items():
            if name.endswith(("running_mean", "running_var")):
                continue
            t.copy_(torch.from_numpy(stored[name].copy()).reshape(t.shape))


def save_ours(net, path, aux=()):
    """Writes the peer's weights under our checkpoint names (numpy .npz)."""
    np.savez(path, **{name: t.detach().numpy() for name, t in our_names(net, aux).items()})
