using ILGPU;
using ILGPU.Frontend;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Kernels of the input encoders: repeating a frame over time steps and Poisson (Bernoulli) spike generation from a
/// counter-based integer hash, so the spikes depend only on (seed, step, element) and are identical on every device.
/// </summary>
internal static class EncoderKernels
{
    /// <summary>y[t * n + e] = x[e] for t in [0, steps): <paramref name="y"/> holds steps copies of <paramref name="x"/>.</summary>
    public static void Repeat(Device device, ArrayView<float> x, ArrayView<float> y)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (y.Length == 0) return;
        if (x.Length == 0 || y.Length % x.Length != 0)
            throw new ArgumentException($"Repeat: output of {y.Length} elements is not a multiple of the input's {x.Length}.");
        if (device.Launch.UseHostKernels)
            device.Kernels.Load<long, long, long, long>(HostRepeatKernel)(device.Launch.GridStride(y.Length), HostMemory.Address(x), HostMemory.Address(y), x.Length, y.Length);
        else
            device.Kernels.Load<ArrayView<float>, ArrayView<float>, long>(RepeatKernel)(device.Launch.GridStride(y.Length), x, y, x.Length);
    }

    /// <summary>
    /// y[t * n + e] = 1 when U(seed, t, e) &lt; clamp(x[e], 0, 1), else 0, where U is a uniform in [0, 1) with 24-bit
    /// resolution taken from <see cref="Hash"/>.
    /// </summary>
    public static void Poisson(Device device, ArrayView<float> x, ArrayView<float> y, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (y.Length == 0) return;
        if (x.Length == 0 || y.Length % x.Length != 0)
            throw new ArgumentException($"Poisson: output of {y.Length} elements is not a multiple of the input's {x.Length}.");
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, long, ulong>(PoissonKernel)(device.Launch.GridStride(y.Length), x, y, x.Length, seed);
    }

    [Kernel]
    internal static void RepeatKernel(ArrayView<float> x, ArrayView<float> y, long n)
    {
        foreach (long i in GridStride.Over(y.Length)) y[i] = x[i % n];
    }

    /// <summary>
    /// The CPU accelerator's form of <see cref="RepeatKernel"/>: each worker copies its contiguous share of y as runs of
    /// x (one block copy per run instead of a division and two view accesses per element, which cost about 7 ns per
    /// element: the direct encoder's repeat was the costliest kernel of a small MLP's iteration).
    /// </summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run RepeatKernel.")]
    internal static unsafe void HostRepeatKernel(long x, long y, long n, long total)
    {
        var (start, end) = GridStride.Chunk(total);
        CopyRuns((float*)x, (float*)y, n, start, end);
    }

    /// <summary>
    /// y[i] = x[i mod n] for i in [start, end), as block copies of runs of x. Marked <see cref="ExternalAttribute"/>:
    /// ILGPU's frontend cannot translate the BCL's block copy and treats it as opaque; the CPU accelerator calls it as
    /// ordinary .NET code from inside the kernel.
    /// </summary>
    [External("ilgpusnn_host_repeat")]
    private static unsafe void CopyRuns(float* x, float* y, long n, long start, long end)
    {
        for (long i = start; i < end;)
        {
            long e = i % n;
            long run = Math.Min(n - e, end - i);
            Buffer.MemoryCopy(x + e, y + i, run * sizeof(float), run * sizeof(float));
            i += run;
        }
    }

    [Kernel]
    internal static void PoissonKernel(ArrayView<float> x, ArrayView<float> y, long n, ulong seed)
    {
        foreach (long i in GridStride.Over(y.Length))
        {
            long t = i / n;
            long e = i - t * n;
            float p = x[e];
            p = p < 0f ? 0f : (p > 1f ? 1f : p);
            ulong h = Hash(seed, (ulong)t, (ulong)e);
            float u = (float)(int)(h >> 40) * (1f / 16777216f);
            y[i] = u < p ? 1f : 0f;
        }
    }

    /// <summary>The counter-based hash of (seed, step, element): nested SplitMix64 finalisers.</summary>
    internal static ulong Hash(ulong seed, ulong t, ulong e) => Mix(Mix(seed ^ Mix(t)) ^ e);

    /// <summary>The SplitMix64 output function (a bijective 64-bit mixer).</summary>
    internal static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
