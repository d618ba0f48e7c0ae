#!/usr/bin/python3
"""Compares the weights `snn train` wrote after a few batches with those of every PyTorch peer run from the same
initial weights (check_peers.sh makes the runs). Not part of the solution.

Per pair (our run, peer run) the distance is max over tensors of ||W_peer - W_ours|| / ||W_ours - W_init||: the error
of the peer's weight change relative to our weight change (parameters; the BatchNorm running statistics separately,
their change from the initial 0 and 1).
The peer of the same estimator must agree to float32 noise (a few spike flips at most); peers of the other estimators
are shown beside it, so the table also shows that the check tells the methods apart. With --peer sharp the runs are the
TorchSharp peer's (sharp-MODEL-EST.npz), with one more column: its distance to the PyTorch peer's run of the same method.

Usage: check_peers.py DIR MODEL [--peer peer|sharp] EST1 EST2 ...
       (DIR holds init-MODEL*/, ours-MODEL-EST/, peer-MODEL-EST.npz/.txt and, for --peer sharp, sharp-MODEL-EST.npz/.txt)
"""
import json
import os
import sys

import numpy as np

from torch_nets import read_safetensors

BUFFERS = ("running_mean", "running_var")


def distance(peer, ours, init, buffers):
    worst = 0.0
    for name, w in peer.items():
        if name.endswith(BUFFERS) != buffers:
            continue
        start = init[name] if not buffers else np.ones_like(w) if name.endswith("var") else np.zeros_like(w)
        change = np.linalg.norm(ours[name].astype(np.float64) - start)
        worst = max(worst, np.linalg.norm(w.astype(np.float64) - ours[name]) / max(change, 1e-30))
    return worst


PEERS = {"peer": "PyTorch peer", "sharp": "TorchSharp peer"}


def load_peer(folder, prefix, model, e):
    """(the weights a peer run wrote, its train loss)."""
    weights = np.load(os.path.join(folder, f"{prefix}-{model}-{e}.npz"))
    with open(os.path.join(folder, f"{prefix}-{model}-{e}.txt")) as f:
        loss = float(f.read().split("train_loss=")[1].split()[0])
    return {k: weights[k] for k in weights.files}, loss


def main():
    folder, model, estimators = sys.argv[1], sys.argv[2], sys.argv[3:]
    prefix = "peer"
    if estimators[:1] == ["--peer"]:
        prefix, estimators = estimators[1], estimators[2:]
    if prefix not in PEERS:
        sys.exit(f"--peer {prefix}: one of {', '.join(PEERS)}")
    ours, peers, inits, losses, torch_peers = {}, {}, {}, {}, {}
    for e in estimators:
        run = os.path.join(folder, f"ours-{model}-{e}")
        ours[e] = read_safetensors(os.path.join(run, "checkpoint.safetensors"))
        with open(os.path.join(run, "metrics.json")) as f:
            history = json.load(f)["history"]
        peers[e], peer_loss = load_peer(folder, prefix, model, e)
        losses[e] = (history[0]["train_loss"], peer_loss)
        if prefix != "peer":
            torch_peers[e] = load_peer(folder, "peer", model, e)
        init = os.path.join(folder, f"init-{model}-{e}", "checkpoint.safetensors")
        inits[e] = read_safetensors(init if os.path.exists(init) else os.path.join(folder, f"init-{model}", "checkpoint.safetensors"))
    name = PEERS[prefix]
    extra = prefix != "peer"
    print(f"### {model}: relative error of the weight change, {name} vs ours (rows: our run; columns: {name}'s run)")
    print()
    print("| ours \\ peer | " + " | ".join(estimators) + " | BN running stats (same method) | train loss ours | train loss peer |"
          + (" vs PyTorch peer (same method) | train loss PyTorch peer |" if extra else ""))
    print("|---" * (len(estimators) + 4 + 2 * extra) + "|")
    for e in estimators:
        cells = []
        for q in estimators:
            d = distance(peers[q], ours[e], inits[e], buffers=False) if peers[q].keys() == peers[e].keys() else float("nan")
            cells.append(f"**{d:.1e}**" if q == e else f"{d:.2f}")
        b = distance(peers[e], ours[e], inits[e], buffers=True)
        row = f"| {e} | " + " | ".join(cells) + f" | {b:.1e} | {losses[e][0]:.6f} | {losses[e][1]:.6f} |"
        if extra:
            torch_weights, torch_loss = torch_peers[e]
            row += f" {distance(peers[e], torch_weights, inits[e], buffers=False):.1e} | {torch_loss:.6f} |"
        print(row)
    print()


if __name__ == "__main__":
    main()
