"""PyTorch references for the GPU benchmarks of IlgpuSnn (same work, same machine, same run).

Strict fp32 (TF32 off for matmul and cuDNN). Each sub-command prints one Markdown table row per case:

    python3 benchmarks/pytorch/reference.py lif        # LIF multi-step forward+backward, T=8, 2^24 neurons
    python3 benchmarks/pytorch/reference.py gemm       # SGEMM 4096^3 (cuBLAS)
    python3 benchmarks/pytorch/reference.py conv       # 3x3 conv fwd+bwd, B=128, C=128, 32x32 (cuDNN)
    python3 benchmarks/pytorch/reference.py iteration  # VGG-11-like SNN, B=128, BPTT and SLTT, T in 2,4,6,8,16
    python3 benchmarks/pytorch/reference.py launches   # the same iteration at T=6 on the CPU: operators per iteration
                                                       # (torch.profiler), the count of kernels eager PyTorch launches

The shapes match benchmarks/IlgpuSnn.Benchmarks (LifBenchmarks, GemmBenchmarks, Conv2dBenchmarks on a GPU, and the
`iteration` mode). Eager PyTorch, no torch.compile: the reference a SpikingJelly/snnTorch user runs today.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True
DEV = torch.device("cuda")


def timed(fn, warmup=3, reps=20):
    """Mean milliseconds of fn() over reps runs, measured with CUDA events after warm-up."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps


class SpikeSigmoid(torch.autograd.Function):
    """Heaviside forward (spike when v >= 0), sigmoid surrogate backward with alpha = 4."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(4.0 * x)
        return g * 4.0 * s * (1.0 - s)


def lif_sequence(current, decay=0.5, threshold=1.0, state=None):
    """LIF with soft reset over the leading time axis: u = decay*v + I, s = H(u - Vth), v = u - Vth*s."""
    v = torch.zeros_like(current[0]) if state is None else state
    spikes = []
    for t in range(current.shape[0]):
        u = decay * v + current[t]
        s = SpikeSigmoid.apply(u - threshold)
        v = u - threshold * s
        spikes.append(s)
    return torch.stack(spikes)


def bench_lif(steps=8, neurons=1 << 24):
    x = (torch.rand(steps, neurons, device=DEV) * 2 - 1).requires_grad_()

    def run():
        x.grad = None
        lif_sequence(x).sum().backward()

    ms = timed(run)
    print(f"| LIF fwd+bwd, T={steps}, N={neurons} | {ms:.3f} ms | {steps * neurons / ms / 1e6:.2f} G neuron-steps/s |")


def bench_gemm(n=4096):
    a, b = torch.rand(n, n, device=DEV), torch.rand(n, n, device=DEV)
    ms = timed(lambda: torch.mm(a, b))
    print(f"| SGEMM {n}^3 (cuBLAS, TF32 off) | {ms:.3f} ms | {2 * n ** 3 / ms / 1e9:.2f} TFLOP/s |")


def bench_conv(batch=128, channels=128, size=32):
    x = (torch.rand(batch, channels, size, size, device=DEV) * 2 - 1).requires_grad_()
    w = (torch.rand(channels, channels, 3, 3, device=DEV) * 2 - 1).requires_grad_()

    def run():
        x.grad = w.grad = None
        F.conv2d(x, w, padding=1).sum().backward()

    ms = timed(run)
    flops = 3 * 2 * batch * channels * size * size * channels * 9
    print(f"| Conv2d 3x3 fwd+bwd, B={batch}, C={channels}, {size}x{size} (cuDNN, TF32 off) | {ms:.3f} ms | {flops / ms / 1e9:.2f} TFLOP/s |")


class Vgg11Snn(nn.Module):
    """Conv3x3-BN-LIF blocks 64-M-128-M-256-256-M-512-512-M-512-512-M (M = 2x2 average pooling), Linear 512 -> 10."""

    PLAN = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]

    def __init__(self):
        super().__init__()
        layers, c = [], 3
        for p in self.PLAN:
            if p == "M":
                layers.append(nn.AvgPool2d(2))
            else:
                layers += [nn.Conv2d(c, p, 3, padding=1, bias=False), nn.BatchNorm2d(p), "lif"]
                c = p
        self.convs = nn.ModuleList([m for m in layers if m != "lif"])
        self.plan = layers
        self.readout = nn.Linear(512, 10)

    def forward_sequence(self, x):
        """BPTT: [T, B, ...] with time folded into the batch for conv/BN/pooling, LIF looping over T."""
        steps, batch = x.shape[:2]
        h = x.flatten(0, 1)
        for m in self.plan:
            if m == "lif":
                h = lif_sequence(h.view(steps, batch, *h.shape[1:])).flatten(0, 1)
            else:
                h = m(h)
        return self.readout(h.flatten(1)).view(steps, batch, -1)


def lif_step(current, state, decay=0.5, threshold=1.0):
    """One LIF step returning (spikes, post-reset potential)."""
    u = current if state is None else decay * state.detach() + current
    s = SpikeSigmoid.apply(u - threshold)
    return s, u - threshold * s


def sltt_forward_step(net, x, states):
    """SLTT: one time step; the states (post-reset potentials) enter detached, so no temporal graph is kept."""
    h, i, new_states = x, 0, []
    for m in net.plan:
        if m == "lif":
            h, v = lif_step(h, None if states is None else states[i])
            new_states.append(v)
            i += 1
        else:
            h = m(h)
    return net.readout(h.flatten(1)), new_states


def iterations(net, opt, x, labels):
    """One training iteration of BPTT and of SLTT on the sequence x [T, B, 3, H, W], as (name, function) pairs."""
    steps = x.shape[0]

    def bptt():
        opt.zero_grad(set_to_none=True)
        out = net.forward_sequence(x)
        loss = sum(F.cross_entropy(out[t], labels) for t in range(steps)) / steps
        loss.backward()
        opt.step()

    def sltt():
        opt.zero_grad(set_to_none=True)
        states = None
        for t in range(steps):
            out, states = sltt_forward_step(net, x[t], states)
            (F.cross_entropy(out, labels) / steps).backward()
            states = [v.detach() for v in states]
        opt.step()

    return (("bptt", bptt), ("sltt", sltt))


def bench_iteration(batch=128, steps_list=(2, 4, 6, 8, 16)):
    net = Vgg11Snn().to(DEV)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    image = torch.rand(batch, 3, 32, 32, device=DEV)
    labels = torch.randint(0, 10, (batch,), device=DEV)
    for steps in steps_list:
        x = image.unsqueeze(0).expand(steps, *image.shape).contiguous()
        for name, fn in iterations(net, opt, x, labels):
            fn()
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            ms = timed(fn, warmup=1, reps=5)
            peak = torch.cuda.max_memory_allocated() / 2 ** 20
            print(f"| {name} | {steps} | {ms:.1f} ms | {peak:.0f} MiB |")


# Operators that only make views or allocate: no kernel runs for them on a GPU.
NO_KERNEL = {
    "aten::empty", "aten::empty_like", "aten::empty_strided", "aten::view", "aten::_unsafe_view", "aten::as_strided",
    "aten::reshape", "aten::_reshape_alias", "aten::expand", "aten::t", "aten::transpose", "aten::permute",
    "aten::squeeze", "aten::unsqueeze", "aten::select", "aten::slice", "aten::detach", "aten::alias", "aten::resize_",
    "aten::flatten", "aten::result_type", "aten::lift_fresh", "aten::unbind", "aten::split", "aten::chunk",
    "aten::narrow", "aten::contiguous", "aten::numpy_T", "aten::is_nonzero", "aten::item", "aten::_local_scalar_dense",
    "aten::to", "aten::_to_copy", "aten::zeros_like", "aten::zeros", "aten::ones_like",
}


def count_launches(batch=8, steps=6):
    """
    Operators of one iteration of the VGG-11-like SNN at T=`steps`, profiled on the CPU with torch.profiler. A CPU
    profile has no kernels, so the number a GPU would launch is bracketed: the outermost computing ATen operators (those
    called by Python or by the autograd engine; views and allocations left out) each launch at least one kernel, and
    the innermost computing operators (no computing operator below them) is about one kernel each, but includes the
    CPU's own layout copies (oneDNN reorders, scalar wrapping). The counts do not depend on the batch size.
    """
    torch.manual_seed(0)
    net = Vgg11Snn()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    image = torch.rand(batch, 3, 32, 32)
    labels = torch.randint(0, 10, (batch,))
    x = image.unsqueeze(0).expand(steps, *image.shape).contiguous()

    def computing(e):
        return e.name.startswith("aten::") and e.name not in NO_KERNEL

    def below(e):
        return any(computing(c) or below(c) for c in e.cpu_children)

    def above(e):
        p = e.cpu_parent
        while p is not None:
            if p.name.startswith("aten::"):
                return True
            p = p.cpu_parent
        return False

    print(f"# CPU | torch {torch.__version__} | VGG-11-like SNN, B={batch}, T={steps} | {time.strftime('%Y-%m-%d')}")
    print("| method | T | ATen operator calls | outermost computing operators (≥ 1 GPU kernel each) | innermost computing operators |")
    print("|---|---|---|---|---|")
    for name, fn in iterations(net, opt, x, labels):
        fn()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            fn()
        events = prof.events()
        aten = [e for e in events if e.name.startswith("aten::")]
        outermost = [e for e in aten if computing(e) and not above(e)]
        innermost = [e for e in aten if computing(e) and not below(e)]
        print(f"| {name} | {steps} | {len(aten)} | {len(outermost)} | {len(innermost)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["lif", "gemm", "conv", "iteration", "launches", "all"])
    what = parser.parse_args().what
    if what == "launches":
        count_launches()
        return
    print(f"# {torch.cuda.get_device_name()} | torch {torch.__version__} | {time.strftime('%Y-%m-%d')}")
    for name, fn in (("lif", bench_lif), ("gemm", bench_gemm), ("conv", bench_conv), ("iteration", bench_iteration)):
        if what in (name, "all"):
            fn()


if __name__ == "__main__":
    main()
