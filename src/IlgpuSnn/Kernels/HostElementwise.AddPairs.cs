using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>The CPU accelerator's form of <see cref="Elementwise.AddPairs"/>: every pair in one launch over a <see cref="HostTable"/>.</summary>
internal static partial class HostElementwise
{
    /// <summary>
    /// y_j = (replace_j ? 0 : y_j) + Σ_s x_j[s] (the slices in order) for every pair j, all pairs in ONE launch (the
    /// pairs' y must not overlap): the workers split the pairs' targets laid end to end.
    /// </summary>
    public static void AddPairs(Device device, ReadOnlySpan<ElementwisePair> pairs)
    {
        var table = new HostTable(pairs.Length);
        foreach (var (y, x, replace, slices) in pairs)
        {
            Elementwise.RequireSlices("AddPairs", x, y, slices);
            var entry = table.Add(y.Length); // y and x addresses, replace flag, slices
            entry[0] = HostMemory.Address(y);
            entry[1] = HostMemory.Address(x);
            entry[2] = replace ? 1 : 0;
            entry[3] = slices;
        }
        if (table.Total == 0) return;
        device.Kernels.Load<HostSegments>(AddPairsKernel)(device.Launch.GridStride(table.Total), table.Segments);
        device.Kernels.KeepAlive(table);
    }

    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run one Axpby or Copy per pair.")]
    internal static unsafe void AddPairsKernel(HostSegments table)
    {
        foreach (var piece in table.Share())
        {
            float* py = piece.Floats(0), px = piece.Floats(1);
            bool replace = piece[2] != 0;
            long slices = piece[3], n = piece.Length, hi = piece.Hi;
            for (long i = piece.Lo; i < hi; i++)
            {
                float sum = replace ? px[i] : py[i] + px[i];
                for (long k = 1; k < slices; k++) sum += px[(k * n) + i];
                py[i] = sum;
            }
        }
    }
}

/// <summary>One pair of <see cref="Elementwise.AddPairs"/>: y = (Replace ? 0 : y) + Σ_s x[s] over its slices, in order.</summary>
/// <param name="Y">The target, updated in place.</param>
/// <param name="X">What is added (or copied): <paramref name="Slices"/> consecutive slices as long as the target.</param>
/// <param name="Replace">Whether the sum replaces y instead of being added to it.</param>
/// <param name="Slices">Number of slices in x.</param>
internal readonly record struct ElementwisePair(ArrayView<float> Y, ArrayView<float> X, bool Replace, int Slices = 1);
