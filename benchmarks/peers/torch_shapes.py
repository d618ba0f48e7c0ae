#!/usr/bin/python3
"""PyTorch's time per call for the layer products that `IlgpuSnn.Benchmarks throughput --ops` times (same specs, same
data): linear:RxOxI = F.linear(x [R,I], W [O,I]); linear-wgrad = g^T x (what autograd's Linear backward computes);
linear-igrad = g W; conv:BxCxOxS = F.conv2d 3x3 padding 1 of B images C x S x S to O channels; conv-wgrad / conv-igrad =
aten.convolution_backward for the weight only / the input only (the ops autograd calls; oneDNN where torch picks it).
x holds a random DENSITY of non-zero entries (1: uniform values; below 1: 0/1 spikes). Per spec: the median over REPS
timings of as many calls as take about 20 ms, wall us per call and CPU us per call (process_time: all threads).
Usage: torch_shapes.py SPECS [DENSITY] [REPS]; threads: TORCH_THREADS (2).
"""
import os, sys, time
import torch
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
torch.manual_seed(1)


def data(shape, density):
    if density >= 1:
        return torch.rand(shape)
    return (torch.rand(shape) < density).float()


def op_call(op, dims, density):
    if op.startswith("linear"):
        rows, outs, ins = dims
        x, w, g = data((rows, ins), density), torch.rand(outs, ins) - 0.5, torch.rand(rows, outs) - 0.5
        return {"linear": lambda: F.linear(x, w),
                "linear-wgrad": lambda: torch.mm(g.t(), x),
                "linear-igrad": lambda: torch.mm(g, w)}[op]
    batch, cin, cout, size = dims
    x, w = data((batch, cin, size, size), density), torch.rand(cout, cin, 3, 3) - 0.5
    gy = torch.rand(batch, cout, size, size) - 0.5
    back = lambda mask: torch.ops.aten.convolution_backward(gy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, mask)
    return {"conv": lambda: F.conv2d(x, w, padding=1),
            "conv-wgrad": lambda: back([False, True, False]),
            "conv-igrad": lambda: back([True, False, False])}[op]


def measure(call, reps):
    with torch.no_grad():
        call()
        t = time.perf_counter(); call(); once = time.perf_counter() - t
        calls = int(min(1000, max(1, 20e-3 / max(1e-6, once))))
        walls, cpu = [], 0.0
        for _ in range(reps):
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(calls):
                call()
            walls.append((time.perf_counter() - t0) / calls)
            cpu += (time.process_time() - c0) / calls
    walls.sort()
    return walls[len(walls) // 2], cpu / reps


density = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
for spec in sys.argv[1].split(","):
    op, dims = spec.split(":")
    wall, cpu = measure(op_call(op, [int(v) for v in dims.split("x")], density), reps)
    print(f"torch op {spec} density={density} us={wall * 1e6:.1f} cpu_us={cpu * 1e6:.1f} threads={torch.get_num_threads()}")
