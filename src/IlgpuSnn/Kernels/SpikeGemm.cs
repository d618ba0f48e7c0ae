using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The two products of a fully connected layer with its input x [rows, ins]: the forward y = alpha·x·Wᵀ + beta·y and
/// the weight gradient dW = alpha·gᵀ·x + beta·dW. On the CPU accelerator one kernel measures x's density and runs the
/// event-driven form below a measured density (<see cref="HostSpikeGemm.ForwardThreshold"/>,
/// <see cref="HostSpikeGemm.WeightGradientBelow"/>) (spikes: most entries are zero), the dense
/// packed GEMM above (<see cref="HostSpikeGemm"/>); the choice is made inside the kernel, per call, with no host
/// read. GPUs run the dense GEMM (<see cref="Gemm.Run"/>). Both forms give the dense product up to float summation
/// order, whatever the values of x. Every call adds the dense product's multiply-adds to <see cref="Device.Macs"/>.
/// </summary>
internal static class SpikeGemm
{
    /// <summary>
    /// y[rows, outs] = alpha·x·Wᵀ + beta·y with x [rows, ins] and w [outs, ins], row-major. When beta is 0 y is only
    /// written. <paramref name="eventDrivenBelow"/> forces the density threshold (tests; on the CPU accelerator only:
    /// 0 always dense, above 1 always event-driven); null takes the default.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative or a view holds fewer elements than its matrix.</exception>
    public static void Forward(Device device, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y,
        int rows, int outs, int ins, float alpha = 1f, float beta = 0f, float? eventDrivenBelow = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        float threshold = Threshold(device, eventDrivenBelow, HostSpikeGemm.ForwardThreshold(rows, outs, ins));
        if (threshold <= 0f || rows <= 0 || outs <= 0 || ins <= 0)
        {
            Gemm.Run(device, x, w, y, rows, outs, ins, false, true, alpha, beta);
            return;
        }
        Require("x", x, (long)rows * ins, $"[{rows}, {ins}]");
        Require("W", w, (long)outs * ins, $"[{outs}, {ins}]");
        Require("y", y, (long)rows * outs, $"[{rows}, {outs}]");
        device.Macs.Add((long)rows * outs * ins);
        device.Kernels.Load<long, long, long, int, int, int, float, float, float>(ForwardKernel)(
            device.Launch.GridStride(Math.Max(rows, (outs + 15) / 16)), HostMemory.Address(x), HostMemory.Address(w), HostMemory.Address(y),
            rows, outs, ins, alpha, beta, threshold);
    }

    /// <summary>
    /// dw[outs, ins] = alpha·gᵀ·x + beta·dw with g [rows, outs] and x [rows, ins], row-major. When beta is 0 dw is
    /// only written. <paramref name="eventDrivenBelow"/> as in <see cref="Forward"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative or a view holds fewer elements than its matrix.</exception>
    public static void WeightGradient(Device device, ArrayView<float> g, ArrayView<float> x, ArrayView<float> dw,
        int rows, int outs, int ins, float alpha = 1f, float beta = 0f, float? eventDrivenBelow = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        float threshold = Threshold(device, eventDrivenBelow, HostSpikeGemm.WeightGradientBelow);
        if (threshold <= 0f || rows <= 0 || outs <= 0 || ins <= 0)
        {
            Gemm.Run(device, g, x, dw, outs, ins, rows, true, false, alpha, beta);
            return;
        }
        Require("g", g, (long)rows * outs, $"[{rows}, {outs}]");
        Require("x", x, (long)rows * ins, $"[{rows}, {ins}]");
        Require("dW", dw, (long)outs * ins, $"[{outs}, {ins}]");
        device.Macs.Add((long)rows * outs * ins);
        device.Kernels.Load<long, long, long, int, int, int, float, float, float>(WeightGradientKernel)(
            device.Launch.GridStride(Math.Max((ins + 127) / 128, (outs + 15) / 16)), HostMemory.Address(g), HostMemory.Address(x), HostMemory.Address(dw),
            rows, outs, ins, alpha, beta, threshold);
    }

    /// <summary>The density threshold of a call: 0 (dense) off the CPU accelerator and where the form is not on by default.</summary>
    private static float Threshold(Device device, float? eventDrivenBelow, float measured)
    {
        if (!device.Launch.IsCpu) return 0f;
        return eventDrivenBelow ?? (HostSpikeGemm.Available ? Math.Max(0f, measured) : 0f);
    }

    private static void Require(string name, ArrayView<float> view, long needed, string shape)
    {
        if (view.Length < needed)
            throw new ArgumentException($"SpikeGemm: {name} {shape} needs {needed} elements, the view holds {view.Length}.");
    }

    /// <summary>The CPU accelerator's forward: each grid thread runs its share of <see cref="HostSpikeGemm.Forward"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the dense GEMM.")]
    internal static unsafe void ForwardKernel(long x, long w, long y, int rows, int outs, int ins, float alpha, float beta, float threshold)
    {
        HostSpikeGemm.Forward((float*)x, (float*)w, (float*)y, rows, outs, ins, alpha, beta, threshold,
            (int)GridStride.Thread, (int)GridStride.Threads);
    }

    /// <summary>The CPU accelerator's weight gradient: each grid thread runs its share of <see cref="HostSpikeGemm.WeightGradient"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the dense GEMM.")]
    internal static unsafe void WeightGradientKernel(long g, long x, long dw, int rows, int outs, int ins, float alpha, float beta, float threshold)
    {
        HostSpikeGemm.WeightGradient((float*)g, (float*)x, (float*)dw, rows, outs, ins, alpha, beta, threshold,
            (int)GridStride.Thread, (int)GridStride.Threads);
    }
}
