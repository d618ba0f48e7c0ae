using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Single-precision matrix multiplication on row-major views: C[m,n] = alpha * op(A) op(B) + beta * C.
/// The device's <see cref="LaunchPlan.UseTiledGemm"/> picks the kernel: a shared-memory tiled one on GPUs, a
/// barrier-free packed SIMD one on the CPU accelerator (<see cref="HostGemm"/>). Every call adds m*n*k to <see cref="Device.Macs"/>.
/// </summary>
internal static class Gemm
{
    /// <summary>
    /// C[m,n] = alpha * op(A) op(B) + beta * C, all row-major and densely packed. op(A) is [m,k]; A is stored [k,m]
    /// when <paramref name="transA"/> is true, else [m,k]. op(B) is [k,n]; B is stored [n,k] when
    /// <paramref name="transB"/> is true, else [k,n]. When <paramref name="beta"/> is 0 C is only written, so it may
    /// hold anything beforehand. C must not overlap A or B.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative or a view holds fewer elements than its matrix.</exception>
    public static void Run(Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c,
        int m, int n, int k, bool transA, bool transB, float alpha = 1f, float beta = 0f)
    {
        ArgumentNullException.ThrowIfNull(device);
        Execute(device, a, b, c, m, n, k, transA, transB, alpha, beta, device.Launch.UseTiledGemm ? TiledThreads(device) : 0, HostGemm.Wide);
    }

    /// <summary>
    /// Convolution forward as an implicit GEMM on the CPU accelerator: y[image, o, l] = alpha · sum over (c, ki, kj) of
    /// weight[o, (c, ki, kj)] · x[image, c, window of l at (ki, kj)] + beta · y, for x [nb, C, H, W] and y [nb, O, Ho·Wo]
    /// with the geometry of <paramref name="shape"/>; the packing reads x through the window (zero padding), the tiles
    /// are written straight into y's planes: no column matrix, no layout copy. Same values as im2col + <see cref="Run"/>
    /// + the NCHW copy (same packed values, same summation order).
    /// </summary>
    /// <exception cref="NotSupportedException">The device is not the CPU accelerator.</exception>
    internal static void RunImplicitForward(Device device, ArrayView<float> weight, ArrayView<float> x, ArrayView<float> y,
        int outChannels, HostIm2Col.ConvShape shape, float alpha = 1f, float beta = 0f)
    {
        long columns = ImplicitColumns(device, shape);
        Require("x", x, (long)shape.Nb * shape.Channels * shape.Height * shape.Width, $"[{shape.Nb}, {shape.Channels}, {shape.Height}, {shape.Width}]");
        Execute(device, weight, x, y, outChannels, (int)columns, shape.Channels * shape.Kh * shape.Kw, false, false, alpha, beta, 0, HostGemm.Wide,
            shape, HostGemm.WindowB | HostGemm.NchwC);
    }

    /// <summary>
    /// Convolution weight gradient as one implicit GEMM over the whole batch on the CPU accelerator:
    /// gw[o, (c, ki, kj)] = alpha · sum over images and outputs l of gy[image, o, l] · x[image, c, window of l at (ki, kj)]
    /// + beta · gw, for gy [nb, O, Ho·Wo], x [nb, C, H, W] and gw [O, C·kh·kw] with the geometry of
    /// <paramref name="shape"/>; the input is read through the window into small per-worker blocks (no column matrix).
    /// </summary>
    /// <exception cref="NotSupportedException">The device is not the CPU accelerator.</exception>
    internal static void RunImplicitWeightGradient(Device device, ArrayView<float> gy, ArrayView<float> x, ArrayView<float> gw,
        int outChannels, HostIm2Col.ConvShape shape, float alpha = 1f, float beta = 0f)
    {
        long columns = ImplicitColumns(device, shape);
        Require("x", x, (long)shape.Nb * shape.Channels * shape.Height * shape.Width, $"[{shape.Nb}, {shape.Channels}, {shape.Height}, {shape.Width}]");
        Execute(device, gy, x, gw, outChannels, shape.Channels * shape.Kh * shape.Kw, (int)columns, false, true, alpha, beta, 0, HostGemm.Wide,
            shape, HostGemm.WeightGradientForm);
    }

    /// <summary>
    /// Convolution input gradient as one implicit GEMM over the whole batch on the CPU accelerator: gx = col2im(weightᵀ · gy)
    /// for weight [O, C·kh·kw], gy [nb, O, Ho·Wo] and gx [nb, C, H, W] (overwritten) with the geometry of
    /// <paramref name="shape"/>; each worker computes the column gradient of one image and a group of input channels
    /// into a cache-sized tile and sums it into those channels' planes. Same values as the column matrix + col2im.
    /// <paramref name="wide"/> picks the register block as <see cref="RunBlocked"/> does (tests run both).
    /// </summary>
    /// <exception cref="NotSupportedException">The device is not the CPU accelerator, or the 512-bit block is asked for without AVX-512.</exception>
    internal static void RunImplicitInputGradient(Device device, ArrayView<float> weight, ArrayView<float> gy, ArrayView<float> gx,
        int outChannels, HostIm2Col.ConvShape shape, bool? wide = null)
    {
        long columns = ImplicitColumns(device, shape);
        int kdim = shape.Channels * shape.Kh * shape.Kw;
        long total = (long)shape.Nb * shape.Channels * shape.Height * shape.Width;
        if (wide == true && !HostGemm.Wide) throw new NotSupportedException("Gemm: the 512-bit register block needs AVX-512, which this CPU lacks.");
        if (outChannels < 0) throw new ArgumentException($"Gemm: sizes must be non-negative, got {outChannels} output channels.");
        Require("weight", weight, (long)outChannels * kdim, $"[{outChannels}, {kdim}]");
        Require("gy", gy, outChannels * columns, $"[{shape.Nb}, {outChannels}, {shape.OutH * shape.OutW}]");
        Require("gx", gx, total, $"[{shape.Nb}, {shape.Channels}, {shape.Height}, {shape.Width}]");
        if (total == 0) return;
        var gxv = gx.SubView(0, total);
        if (outChannels == 0 || columns == 0 || kdim == 0)
        {
            Elementwise.Fill(device, gxv, 0f);
            return;
        }
        device.Macs.Add(kdim * columns * outChannels);
        LaunchBlocked(device, weight.SubView(0, (long)outChannels * kdim), gy, gxv, kdim, (int)columns, outChannels, true, false, 1f, 0f,
            wide ?? HostGemm.Wide, shape, HostGemm.InputGradientForm, shape.Nb);
    }

    /// <summary>The columns (images × outputs) of an implicit convolution GEMM; checks the device and the size.</summary>
    private static long ImplicitColumns(Device device, HostIm2Col.ConvShape shape)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.Launch.IsCpu) throw new NotSupportedException($"Gemm: the implicit convolution reads host pointers and runs on the CPU accelerator only, not on {device}.");
        long columns = (long)shape.Nb * shape.OutH * shape.OutW;
        if (columns > int.MaxValue) throw new ArgumentException($"Gemm: {shape.Nb} images of {shape.OutH}x{shape.OutW} outputs are more columns than one implicit GEMM holds; split the batch.");
        return columns;
    }

    /// <summary>
    /// Runs the barrier-free packed CPU kernel (CPU accelerator only; for tests and benchmarks), with the 512-bit
    /// register block when <paramref name="wide"/> is true (the CPU must have AVX-512), the 256-bit one when false, the
    /// CPU's best when null.
    /// </summary>
    internal static void RunBlocked(Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c,
        int m, int n, int k, bool transA, bool transB, float alpha = 1f, float beta = 0f, bool? wide = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.Launch.IsCpu) throw new NotSupportedException($"Gemm: the blocked kernel reads host pointers and runs on the CPU accelerator only, not on {device}.");
        if (wide == true && !HostGemm.Wide) throw new NotSupportedException("Gemm: the 512-bit register block needs AVX-512, which this CPU lacks.");
        Execute(device, a, b, c, m, n, k, transA, transB, alpha, beta, 0, wide ?? HostGemm.Wide);
    }

    /// <summary>
    /// Runs the shared-memory tiled kernel whatever the device, with groups of <paramref name="t"/> x <paramref name="t"/>
    /// threads computing (4t) x (4t) blocks of C (for tests and benchmarks).
    /// </summary>
    internal static void RunTiled(Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c,
        int m, int n, int k, bool transA, bool transB, float alpha = 1f, float beta = 0f, int t = GemmKernels.MaxTileThreads)
    {
        if (t < 1 || t > GemmKernels.MaxTileThreads || t * t > device.Accelerator.MaxNumThreadsPerGroup)
            throw new ArgumentOutOfRangeException(nameof(t), $"Gemm: a tiled group of {t}x{t} threads is not possible on {device} (at most {device.Accelerator.MaxNumThreadsPerGroup} threads per group, side at most {GemmKernels.MaxTileThreads}).");
        Execute(device, a, b, c, m, n, k, transA, transB, alpha, beta, t, false);
    }

    /// <summary>The largest square thread group (side at most 16) the device allows.</summary>
    internal static int TiledThreads(Device device)
    {
        int t = GemmKernels.MaxTileThreads;
        while (t > 1 && t * t > device.Accelerator.MaxNumThreadsPerGroup) t /= 2;
        return t;
    }

    private static void Execute(Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c,
        int m, int n, int k, bool transA, bool transB, float alpha, float beta, int tiled, bool wide,
        HostIm2Col.ConvShape images = default, int imageForm = HostGemm.PlainForm)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm: sizes must be non-negative, got m={m}, n={n}, k={k}.");
        Require("A", a, (long)m * k, transA ? $"[{k}, {m}]" : $"[{m}, {k}]");
        bool window = (imageForm & (HostGemm.WindowB | HostGemm.WeightGradientForm)) != 0;
        if (!window) Require("B", b, (long)k * n, transB ? $"[{n}, {k}]" : $"[{k}, {n}]");
        Require("C", c, (long)m * n, $"[{m}, {n}]");
        if (m == 0 || n == 0) return;
        device.Macs.Add((long)m * n * k);
        var cv = c.SubView(0, (long)m * n);
        if (k == 0)
        {
            if (beta == 0f) Elementwise.Fill(device, cv, 0f);
            else Elementwise.Unary(device, cv, cv, UnaryOp.Scale, beta);
            return;
        }
        var av = a.SubView(0, (long)m * k);
        var bv = window ? b : b.SubView(0, (long)k * n);
        int ta = transA ? 1 : 0, tb = transB ? 1 : 0;
        if (tiled == 0)
        {
            int mr = HostGemm.RowsFor(wide, m), nr = HostGemm.ColumnsOf(wide);
            LaunchBlocked(device, av, bv, cv, m, n, k, transA, transB, alpha, beta, wide, images, imageForm, Math.Max((n + nr - 1) / nr, (m + mr - 1) / mr));
        }
        else
        {
            int bs = 4 * tiled;
            long groups = (long)((m + bs - 1) / bs) * ((n + bs - 1) / bs);
            if (groups > int.MaxValue)
                throw new ArgumentException($"Gemm: [{m}, {n}] output needs {groups} tiles, more than a grid holds.");
            device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int, float, float, int>(
                GemmKernels.TiledKernel)(new KernelConfig((int)groups, tiled * tiled), av, bv, cv, m, n, k, ta, tb, alpha, beta, tiled);
        }
    }

    /// <summary>Launches <see cref="GemmKernels.BlockedKernel"/> on a grid for <paramref name="items"/> independent shares.</summary>
    private static void LaunchBlocked(Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int n, int k,
        bool transA, bool transB, float alpha, float beta, bool wide, HostIm2Col.ConvShape images, int imageForm, long items)
    {
        device.Kernels.Load<long, long, long, int, int, int, int, int, float, float, int, HostIm2Col.ConvShape, int>(GemmKernels.BlockedKernel)(
            device.Launch.GridStride(items), HostMemory.Address(a), HostMemory.Address(b), HostMemory.Address(c), m, n, k, transA ? 1 : 0, transB ? 1 : 0,
            alpha, beta, wide ? 1 : 0, images, imageForm);
    }

    private static void Require(string name, ArrayView<float> view, long needed, string shape)
    {
        if (view.Length < needed)
            throw new ArgumentException($"Gemm: {name} {shape} needs {needed} elements, the view holds {view.Length}.");
    }
}
