"""Every estimator of `snn train` as a PyTorch user would write it (eager, idiomatic), computing what ours computes with
its defaults (src/IlgpuSnn/Estimators/*.cs; the math is ../shared/design/estimators.md). Not part of the solution.

Each estimator is a function (net, x, y, T, update, ctx) -> (loss value, sum over t of the read-outs) for one batch:
x the images of the batch (direct encoding: every step sees them), y the labels, update() steps the optimizer with the
batch's learning rate and zeroes the gradients, ctx the per-run settings (ctx.iteration: the Trainer's seed of this batch,
ctx.k, ctx.window, ctx.blocks, ctx.per_window, ctx.aux). The loss value is the one our estimator reports.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from dotnet_ports import sltt_k_steps
from torch_nets import DECAY, THRESHOLD, Spike, apply_aux_head, lif_sequence, lif_step, surrogate


def folded(x, steps):
    """The static input repeated over T steps, time folded into the batch: [T*B, ...]."""
    return x.unsqueeze(0).expand(steps, *x.shape).reshape(steps * x.shape[0], *x.shape[1:])


def per_step_loss(logits, y, steps_in_logits, steps):
    """(1/T) * sum over the k steps folded into logits of CE(o[t], y) = CE over the k*B rows * k / T (SequenceLoss.Steps)."""
    target = y if steps_in_logits == 1 else y.repeat(steps_in_logits)
    return F.cross_entropy(logits, target) * (steps_in_logits / steps)


def step_sums(logits, steps):
    """Sum over t of o[t] from folded read-outs [k*B, C]."""
    return logits.detach().reshape(steps, -1, logits.shape[-1]).sum(0)


# ---------------------------------------------------------------------------------------------------------- BPTT family

def bptt(net, x, y, steps, update, ctx):
    """The whole sequence in one graph, time folded into the batch (BatchNorm over T*B), reset kept in the graph."""
    h = folded(x, steps)
    batch = x.shape[0]
    for i in range(net.depth):
        a = net.bn[i](net.syn[i](h))
        s, _ = lif_sequence(a.reshape(steps, batch, *a.shape[1:]))
        h = net.after_spikes(i, s.reshape(steps * batch, *s.shape[2:]))
    logits = net.readout(h)
    loss = per_step_loss(logits, y, steps, steps)
    loss.backward()
    update()
    return loss.detach(), step_sums(logits, steps)


def block_ranges(depth, blocks):
    """TruncatedLocalBptt.EvenBlocks: hidden layers of each block, as even as possible."""
    return [list(range(b * depth // blocks, (b + 1) * depth // blocks)) for b in range(blocks)]


def tt_lbptt(net, x, y, steps, update, ctx):
    """Windows of ctx.window steps (the neuron state a constant at each window start; BatchNorm over the window's k*B
    samples), hidden layers in ctx.blocks blocks with spikes detached between blocks; a non-final block learns from its
    auxiliary head (global average pooling + linear) on its output spikes, the last from the read-out; every loss is
    the per-step loss of the window's steps. One update per sequence (or per window with ctx.per_window).
    Defaults (no --window, no --blocks): one window, one block, i.e. BPTT."""
    window = min(ctx.window or steps, steps)
    ranges = block_ranges(net.depth, ctx.blocks or 1)
    batch = x.shape[0]
    state = [None] * net.depth
    total, out_sum = 0.0, 0.0
    for start in range(0, steps, window):
        length = min(window, steps - start)
        h = folded(x, length)
        for b, layers in enumerate(ranges):
            last = b == len(ranges) - 1
            if b > 0:
                h = net.after_spikes(layers[0] - 1, h)
            for n, i in enumerate(layers):
                if n > 0:
                    h = net.after_spikes(i - 1, h)
                a = net.bn[i](net.syn[i](h))
                s, v = lif_sequence(a.reshape(length, batch, *a.shape[1:]),
                                    None if state[i] is None else state[i].detach())
                state[i] = v.detach()
                h = s.reshape(length * batch, *s.shape[2:])
            if last:
                logits = net.readout(net.after_spikes(layers[-1], h))
            else:
                logits = apply_aux_head(ctx.aux[b], h)
            loss = per_step_loss(logits, y, length, steps)
            loss.backward()
            if last:
                total = total + loss.detach()
                out_sum = out_sum + step_sums(logits, length)
            h = h.detach()
        if ctx.per_window:
            update()
    if not ctx.per_window:
        update()
    return total, out_sum


# ------------------------------------------------------------------------------------------------ step-by-step methods

def sltt(net, x, y, steps, update, ctx, trained=None):
    """Per step: the carried membrane a constant (only spatial edges), BatchNorm per step, the step's loss (1/T)*CE
    back-propagated right after its forward; steps outside `trained` (SLTT-K) run without graph. One update."""
    trained = set(range(steps)) if trained is None else trained
    state = [None] * net.depth
    total, out_sum = 0.0, 0.0
    for t in range(steps):
        with torch.set_grad_enabled(t in trained):
            h = x
            for i in range(net.depth):
                s, state[i] = lif_step(net.bn[i](net.syn[i](h)), state[i])
                h = net.after_spikes(i, s)
            out = net.readout(h)
            loss = per_step_loss(out, y, 1, steps)
            if t in trained:
                loss.backward()
        total = total + loss.detach()
        out_sum = out_sum + out.detach()
    update()
    return total, out_sum


def sltt_k(net, x, y, steps, update, ctx):
    """SLTT back-propagating only the K steps our Sltt draws for this iteration (the same .NET Random draw)."""
    return sltt(net, x, y, steps, update, ctx, trained=sltt_k_steps(steps, ctx.k, ctx.iteration))


class TraceGradient(torch.autograd.Function):
    """OTTT's synapse: the value op(spikes), the input gradient op^T(g) to the spikes, the weight gradient from the
    presynaptic trace (one forward op; the backward as the op's own, with the trace as its input)."""

    @staticmethod
    def forward(ctx, spikes, trace, weight, bias, conv):
        ctx.conv = conv
        ctx.save_for_backward(trace, weight)
        ctx.has_bias = bias is not None
        return F.conv2d(spikes, weight, bias, padding=1) if conv else F.linear(spikes, weight, bias)

    @staticmethod
    def backward(ctx, g):
        trace, weight = ctx.saved_tensors
        if ctx.conv:
            gx, gw, _ = torch.ops.aten.convolution_backward(g, trace, weight, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1,
                                                            [ctx.needs_input_grad[0], True, False])
        else:
            gx = g @ weight if ctx.needs_input_grad[0] else None
            gw = g.t() @ trace
        gb = (g.sum((0, 2, 3)) if ctx.conv else g.sum(0)) if ctx.has_bias else None
        return gx, None, gw, gb, None


def traced(module, spikes, trace):
    """module(spikes) whose weight gradient comes from `trace` (the raw input when trace is None)."""
    if trace is None:
        return module(spikes)
    return TraceGradient.apply(spikes, trace, module.weight, module.bias, isinstance(module, nn.Conv2d))


def ottt(net, x, y, steps, update, ctx, online=False):
    """OTTT: SLTT's temporal cut, each LIF keeps a trace a[t] = decay*a[t-1] + s[t] (pooled like the spikes); every
    synapse after the first (and the read-out) takes its weight gradient from the trace; BatchNorm per step. OTTT_A:
    one update per sequence; OTTT_O: an update after every step."""
    state = [None] * net.depth
    traces = [None] * net.depth
    total, out_sum = 0.0, 0.0
    for t in range(steps):
        h, trace = x, None
        for i in range(net.depth):
            s, state[i] = lif_step(net.bn[i](traced(net.syn[i], h, trace)), state[i])
            with torch.no_grad():
                traces[i] = s.detach() if traces[i] is None else DECAY * traces[i] + s.detach()
            h, trace = net.after_spikes(i, s), net.after_spikes(i, traces[i])
        out = traced(net.head, h.flatten(1), trace.flatten(1))
        loss = per_step_loss(out, y, 1, steps)
        loss.backward()
        if online:
            update()
        total = total + loss.detach()
        out_sum = out_sum + out.detach()
    if not online:
        update()
    return total, out_sum


def ottt_a(net, x, y, steps, update, ctx):
    return ottt(net, x, y, steps, update, ctx, online=False)


def ottt_o(net, x, y, steps, update, ctx):
    return ottt(net, x, y, steps, update, ctx, online=True)


class SafNeuron(torch.autograd.Function):
    """One SAF neuron step on accumulations: u = a - decay*th*acc[t-1], s = H(u - th), returns acc[t] = decay*acc[t-1]
    + s; the gradient into a is g * surrogate(u - th) (acc[t-1] a constant)."""

    @staticmethod
    def forward(ctx, a, previous):
        z = a - DECAY * THRESHOLD * previous - THRESHOLD
        s = (z >= 0).to(a.dtype)
        ctx.save_for_backward(z)
        return DECAY * previous + s

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * surrogate(z), None


def accumulated_weight(steps):
    """Sum over k < steps of decay^k (a float32 sum, as ours)."""
    w = np.float32(0)
    for k in range(steps):
        w = np.float32(w + np.float32(DECAY) ** k)
    return float(w)


def saf(net, x, y, steps, update, ctx, final=False):
    """SAF (Saf.cs): layers exchange accumulations a[t] = decay*a[t-1] + s[t] (the input: x_hat = decay*x_hat + x), one
    synaptic op per layer per step, no membrane kept; BatchNorm at the scale of one step, N*BN(z/N) with N = sum of
    decay^k; read-out o[t] = W a_L[t] + b - decay*W a_L[t-1]. SAF-E: per-step loss, an update every step. SAF-F: the
    steps without graph but the last, whose loss is CE(W a_L[T]/N_T + b); one update; the loss it reports is the
    per-step loss of its read-outs o[t]."""
    batch_acc = [None] * net.depth
    x_hat, previous = None, None
    total, out_sum = 0.0, 0.0
    for t in range(steps):
        x_hat = x if x_hat is None else DECAY * x_hat + x
        norm = accumulated_weight(t + 1)
        graph = not final or t == steps - 1
        with torch.set_grad_enabled(graph):
            h = x_hat
            for i in range(net.depth):
                z = net.syn[i](h)
                a = net.bn[i](z) if norm == 1.0 else net.bn[i](z * (1.0 / norm)) * norm
                if batch_acc[i] is None:
                    batch_acc[i] = torch.zeros_like(a)
                acc = SafNeuron.apply(a, batch_acc[i])
                batch_acc[i] = acc.detach()
                h = net.after_spikes(i, acc)
            flat = h.flatten(1)
            instantaneous = net.head(flat) if previous is None else net.head(flat) - previous
            with torch.no_grad():
                previous = DECAY * F.linear(flat, net.head.weight)
            if not final:
                loss = per_step_loss(instantaneous, y, 1, steps)
                loss.backward()
                update()
            else:
                with torch.no_grad():
                    loss = per_step_loss(instantaneous, y, 1, steps)
                if graph:
                    F.cross_entropy(net.head(flat * (1.0 / accumulated_weight(steps))), y).backward()
        total = total + loss.detach()
        out_sum = out_sum + instantaneous.detach()
    if final:
        update()
    return total, out_sum


def saf_e(net, x, y, steps, update, ctx):
    return saf(net, x, y, steps, update, ctx, final=False)


def saf_f(net, x, y, steps, update, ctx):
    return saf(net, x, y, steps, update, ctx, final=True)


# ------------------------------------------------------------------------------------------------------------- RateBP

class RecordedBatchNorm(torch.autograd.Function):
    """BatchNorm of the rate pass: normalised with the statistics recorded in the spike pass, back-propagated as
    BatchNorm with batch statistics (the standard formula, with the recorded mean and variance)."""

    @staticmethod
    def forward(ctx, c, gamma, beta, mean, var, eps):
        invstd = torch.rsqrt(var + eps)
        ctx.save_for_backward(c, gamma, mean, invstd)
        ctx.eps = eps
        return F.batch_norm(c, mean, var, gamma, beta, False, 0.0, eps)

    @staticmethod
    def backward(ctx, g):
        c, gamma, mean, invstd = ctx.saved_tensors
        gc, gg, gb = torch.ops.aten.native_batch_norm_backward(g.contiguous(), c, gamma, None, None, mean, invstd, True, ctx.eps,
                                                              [True, True, True])
        return gc, gg, gb, None, None, None


def rate_lif(current, steps, batch):
    """The spike pass of one LIF layer (no graph): spikes, firing rate r and eligibility (1/T) sum sg[t]*e[t] with e[1] = 1,
    e[t+1] = 1 + e[t]*decay*(1 - th*sg[t]) (soft reset kept in the graph)."""
    current = current.reshape(steps, batch, *current.shape[1:])
    v = None
    e = torch.ones_like(current[0])
    spike_sum = torch.zeros_like(current[0])
    elig_sum = torch.zeros_like(current[0])
    spikes = []
    for t in range(steps):
        u = current[t] if v is None else DECAY * v + current[t]
        z = u - THRESHOLD
        s = (z >= 0).to(u.dtype)
        sg = surrogate(z)
        spike_sum += s
        elig_sum += sg * e
        v = u - THRESHOLD * s
        e = 1.0 + e * DECAY * (1.0 - THRESHOLD * sg)
        spikes.append(s)
    return torch.stack(spikes).reshape(steps * batch, *current.shape[2:]), spike_sum * (1.0 / steps), elig_sum * (1.0 / steps)


def ratebp(net, x, y, steps, update, ctx):
    """RateBP, our defaults ('m' mode: BatchNorm over the folded T*B batch; the mean-output loss CE(o_bar); no 1/T scale):
    a spike pass without graph records each BatchNorm's mean and biased variance and each LIF's rate and eligibility;
    then a rate pass with graph on the mean input: synapses on rates, BatchNorm with the recorded statistics, each LIF
    replaced by its rate (value) with gradient * eligibility; back-propagated from dCE/d(o_bar)."""
    batch = x.shape[0]
    dims = lambda t: (0,) if t.dim() == 2 else (0, 2, 3)  # noqa: E731
    stats, rates = [], []
    with torch.no_grad():
        h = folded(x, steps)
        for i in range(net.depth):
            c = net.syn[i](h)
            var, mean = torch.var_mean(c, dims(c), unbiased=False)
            stats.append((mean, var))
            s, r, e = rate_lif(net.bn[i](c), steps, batch)
            rates.append((r, e))
            h = net.after_spikes(i, s)
        out_sum = step_sums(net.readout(h), steps)
    mean_output = (out_sum * (1.0 / steps)).requires_grad_()
    loss = F.cross_entropy(mean_output, y)
    seed, = torch.autograd.grad(loss, mean_output)
    input_sum = torch.zeros_like(x)
    for _ in range(steps):
        input_sum += x
    h = input_sum * (1.0 / steps)
    for i in range(net.depth):
        bn = net.bn[i]
        mean, var = stats[i]
        c = RecordedBatchNorm.apply(net.syn[i](h), bn.weight, bn.bias, mean, var, bn.eps)
        r, e = rates[i]
        h = net.after_spikes(i, r + e * (c - c.detach()))
    net.readout(h).backward(seed)
    update()
    return loss.detach(), out_sum


ESTIMATORS = {
    "bptt": bptt, "tt-lbptt": tt_lbptt, "sltt": sltt, "sltt-k": sltt_k, "ottt-a": ottt_a, "ottt-o": ottt_o,
    "saf-e": saf_e, "saf-f": saf_f, "ratebp": ratebp,
}
