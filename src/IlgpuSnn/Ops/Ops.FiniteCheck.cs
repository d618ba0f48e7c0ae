using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>Non-finite detection on the device (never recorded on a tape).</summary>
public static partial class Ops
{
    /// <summary>Sets flags[<paramref name="slot"/>] when <paramref name="x"/> holds a NaN or ±∞.</summary>
    internal static void MarkNonFinite(Tensor x, Tensor flags, int slot) =>
        FiniteCheck.Mark(x.Device, x.View, flags.View, slot);

    /// <summary>Sets flags[slot] to 1 if any element of any tensor of <paramref name="xs"/> is NaN or ±∞ (one launch on the CPU accelerator).</summary>
    internal static void MarkNonFinite(IReadOnlyList<Tensor> xs, Tensor flags, int slot) =>
        FiniteCheck.MarkAll(flags.Device, [.. xs.Select(x => x.View)], flags.View, slot);

    /// <summary>Whether <paramref name="v"/> is NaN or ±∞ (the device kernels' exact test, on the host).</summary>
    internal static bool IsNonFinite(float v) => FiniteCheck.IsNonFinite(v);
}
