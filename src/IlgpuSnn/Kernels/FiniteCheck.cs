using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Marks non-finite values without a host round trip: a kernel scans a view and, if any element is NaN or ±∞ (all
/// exponent bits set), writes 1 into one slot of a small flag view on the device. Nothing is read back here; the
/// caller reads the flags where its loop synchronises anyway.
/// </summary>
internal static class FiniteCheck
{
    /// <summary>Sets <paramref name="flags"/>[<paramref name="slot"/>] to 1 if any element of <paramref name="x"/> is not finite.</summary>
    public static void Mark(Device device, ArrayView<float> x, ArrayView<float> flags, int slot)
    {
        ArgumentNullException.ThrowIfNull(device);
        if ((uint)slot >= (ulong)flags.Length) throw new ArgumentOutOfRangeException(nameof(slot), $"FiniteCheck: slot {slot} is outside the {flags.Length} flags.");
        if (x.Length == 0) return;
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long>(HostMarkKernel)(device.Launch.GridStride(x.Length), HostMemory.Address(x), x.Length, HostMemory.Address(flags.SubView(slot, 1)));
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>>(MarkKernel)(device.Launch.GridStride(x.Length), x, flags.SubView(slot, 1));
    }

    /// <summary>
    /// Sets <paramref name="flags"/>[<paramref name="slot"/>] to 1 if any element of any of <paramref name="xs"/> is not
    /// finite: on the CPU accelerator one launch over a pinned table of the views (every launch costs a hand-off to the
    /// workers, and a net's parameters are scanned after every update), elsewhere one launch per view.
    /// </summary>
    public static void MarkAll(Device device, IReadOnlyList<ArrayView<float>> xs, ArrayView<float> flags, int slot)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(xs);
        if (!device.Launch.UseHostKernels || xs.Count == 1)
        {
            foreach (var x in xs) Mark(device, x, flags, slot);
            return;
        }
        if ((uint)slot >= (ulong)flags.Length) throw new ArgumentOutOfRangeException(nameof(slot), $"FiniteCheck: slot {slot} is outside the {flags.Length} flags.");
        var table = new HostTable(xs.Count);
        foreach (var x in xs) table.Add(x.Length)[0] = HostMemory.Address(x);
        if (table.Total == 0) return;
        device.Kernels.Load<HostSegments, long>(HostMarkAllKernel)(device.Launch.GridStride(table.Total), table.Segments, HostMemory.Address(flags.SubView(slot, 1)));
        device.Kernels.KeepAlive(table);
    }

    /// <summary>Whether the bit pattern of <paramref name="v"/> is NaN or an infinity (exponent all ones).</summary>
    internal static bool IsNonFinite(float v) => (Interop.FloatAsInt(v) & 0x7F800000u) == 0x7F800000u;

    [Kernel]
    internal static void MarkKernel(ArrayView<float> x, ArrayView<float> flag)
    {
        foreach (long i in GridStride.Over(x.Length))
            if (IsNonFinite(x[i])) flag[0] = 1f;
    }

    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run MarkKernel.")]
    internal static unsafe void HostMarkKernel(long x, long n, long flag)
    {
        var (start, end) = GridStride.Chunk(n);
        float* px = (float*)x;
        bool bad = false;
        for (long i = start; i < end; i++) bad |= IsNonFinite(px[i]);
        if (bad) *(float*)flag = 1f;
    }

    /// <summary>The host form of <see cref="MarkAll"/>: each worker scans its share of the views' concatenation.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run MarkKernel per view.")]
    internal static unsafe void HostMarkAllKernel(HostSegments table, long flag)
    {
        bool bad = false;
        foreach (var piece in table.Share())
        {
            float* px = piece.Floats(0);
            long hi = piece.Hi;
            for (long i = piece.Lo; i < hi; i++) bad |= IsNonFinite(px[i]);
        }
        if (bad) *(float*)flag = 1f;
    }
}
