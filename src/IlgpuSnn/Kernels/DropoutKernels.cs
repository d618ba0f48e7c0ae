using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Dropout masks drawn on the device from a counter-based hash (SplitMix64 finaliser of seed and element index), so
/// the same seed gives the same mask on every device and grid, and the mask broadcast product.
/// </summary>
internal static class DropoutKernels
{
    /// <summary>Number of random bits per element compared with the threshold.</summary>
    internal const int Bits = 24;

    /// <summary>
    /// mask[i] = 0 with probability <paramref name="p"/>, else 1/(1 − p): element i is dropped when the top 24 bits of
    /// SplitMix64(seed, i) fall below round(p·2^24). p = 0 keeps every element, p = 1 drops every element.
    /// </summary>
    public static void Mask(Device device, ArrayView<float> mask, float p, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!(p >= 0f && p <= 1f)) throw new ArgumentException($"DropoutMask: probability {p} is outside [0, 1].", nameof(p));
        if (mask.Length == 0) return;
        ulong threshold = (ulong)Math.Round(p * (double)(1UL << Bits));
        float keep = p < 1f ? 1f / (1f - p) : 0f;
        device.Kernels.Load<ArrayView<float>, ulong, ulong, float>(MaskKernel)(device.Launch.GridStride(mask.Length), mask, seed, threshold, keep);
    }

    /// <summary>y[i] = x[i] · mask[i mod mask.Length] (the mask repeats over the leading elements of x).</summary>
    public static void BroadcastMultiply(Device device, ArrayView<float> x, ArrayView<float> mask, ArrayView<float> y)
    {
        ArgumentNullException.ThrowIfNull(device);
        Elementwise.RequireSameLength("Dropout", x, y);
        if (y.Length == 0) return;
        if (mask.Length == 0 || x.Length % mask.Length != 0)
            throw new ArgumentException($"Dropout: a mask of {mask.Length} elements does not tile {x.Length} elements.");
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>>(BroadcastMultiplyKernel)(device.Launch.GridStride(y.Length), x, mask, y);
    }

    /// <summary>The SplitMix64 finaliser applied to seed + (index + 1)·golden ratio.</summary>
    internal static ulong Hash(ulong seed, ulong index)
    {
        ulong z = seed + (index + 1UL) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [Kernel]
    internal static void MaskKernel(ArrayView<float> mask, ulong seed, ulong threshold, float keep)
    {
        foreach (long i in GridStride.Over(mask.Length))
        {
            ulong bits = Hash(seed, (ulong)i) >> (64 - Bits);
            mask[i] = bits < threshold ? 0f : keep;
        }
    }

    [Kernel]
    internal static void BroadcastMultiplyKernel(ArrayView<float> x, ArrayView<float> mask, ArrayView<float> y)
    {
        long m = mask.Length;
        foreach (long i in GridStride.Over(y.Length)) y[i] = x[i] * mask[i % m];
    }
}
