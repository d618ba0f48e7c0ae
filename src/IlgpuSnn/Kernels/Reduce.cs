using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Sum reductions over one axis of a tensor viewed as [outer, A, inner], their broadcast backward, and per-row
/// maximum / argmax over the last axis. Long reductions are split into interleaved partial sums (one work item per
/// output and partial, so neighbouring items read neighbouring elements) that a second kernel adds up.
/// </summary>
internal static class Reduce
{
    /// <summary>Most partial sums per output of a two-stage reduction.</summary>
    internal const int MaxPartials = 1024;

    /// <summary>
    /// How many partial sums each of <paramref name="outputs"/> outputs gets when it reduces <paramref name="reduced"/>
    /// elements: enough to fill the device, at least 8 elements per partial, at most <see cref="MaxPartials"/>.
    /// </summary>
    internal static int PartialCount(Device device, long outputs, long reduced)
    {
        long target = (long)device.Launch.GroupSize * device.Launch.MaxGroups;
        long p = target / Math.Max(outputs, 1);
        p = Math.Min(p, reduced / 8);
        p = Math.Min(p, MaxPartials);
        return (int)Math.Max(p, 1);
    }

    /// <summary>
    /// y[o, i] = scale * Σ_a x[o, a, i] for x viewed as [outer, <paramref name="axis"/>, <paramref name="inner"/>]
    /// and y as [outer, inner].
    /// </summary>
    public static void SumAxis(Device device, ArrayView<float> x, ArrayView<float> y, int axis, int inner, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (axis < 0 || inner <= 0 || y.Length * axis != x.Length)
            throw new ArgumentException($"Reduce.SumAxis: {x.Length} inputs do not reduce over an axis of {axis} (inner {inner}) to {y.Length} outputs.");
        if (y.Length == 0) return;
        if (axis == 0)
        {
            Elementwise.Fill(device, y, 0f);
            return;
        }
        int p = PartialCount(device, y.Length, axis);
        if (p == 1)
        {
            device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, int, float>(AxisPartialSumKernel)(
                device.Launch.GridStride(y.Length), x, y, axis, inner, 1, scale);
            return;
        }
        using var partials = Tensor.Empty(device, checked((int)(y.Length * p)));
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, int, float>(AxisPartialSumKernel)(
            device.Launch.GridStride(partials.Length), x, partials.View, axis, inner, p, 1f);
        SumPartials(device, partials.View, y, p, scale);
    }

    /// <summary>y[m] = scale * Σ_p partials[m * count + p] for every output m.</summary>
    public static void SumPartials(Device device, ArrayView<float> partials, ArrayView<float> y, int count, float scale)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (count <= 0 || y.Length * count != partials.Length)
            throw new ArgumentException($"Reduce.SumPartials: {partials.Length} partials are not {count} per each of {y.Length} outputs.");
        if (y.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, float>(SumPartialsKernel)(
            device.Launch.GridStride(y.Length), partials, y, count, scale);
    }

    /// <summary>
    /// gx[o, a, i] = scale * g[o, i]: the backward of <see cref="SumAxis"/> with gx viewed as
    /// [outer, <paramref name="axis"/>, <paramref name="inner"/>].
    /// </summary>
    public static void BroadcastAxis(Device device, ArrayView<float> g, ArrayView<float> gx, int axis, int inner, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (axis < 0 || inner <= 0 || g.Length * axis != gx.Length)
            throw new ArgumentException($"Reduce.BroadcastAxis: {g.Length} values do not broadcast over an axis of {axis} (inner {inner}) to {gx.Length} elements.");
        if (gx.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, float>(BroadcastAxisKernel)(
            device.Launch.GridStride(gx.Length), g, gx, axis, inner, scale);
    }

    /// <summary>
    /// For each row of length <paramref name="rowLength"/>: the maximum into <paramref name="max"/> and the index of
    /// its first occurrence into <paramref name="index"/>.
    /// </summary>
    public static void MaxLastAxis(Device device, ArrayView<float> x, ArrayView<float> max, ArrayView<int> index, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (rowLength <= 0 || max.Length * rowLength != x.Length || index.Length != max.Length)
            throw new ArgumentException($"Reduce.MaxLastAxis: {x.Length} inputs are not rows of {rowLength} for {max.Length} maxima and {index.Length} indices.");
        if (max.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<int>, int>(MaxLastAxisKernel)(
            device.Launch.GridStride(max.Length), x, max, index, rowLength);
    }

    /// <summary>gx[r, k] = g[r] where k = index[r], else 0 (the backward of <see cref="MaxLastAxis"/>).</summary>
    public static void MaxLastAxisBackward(Device device, ArrayView<float> g, ArrayView<int> index, ArrayView<float> gx, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (rowLength <= 0 || g.Length * rowLength != gx.Length || index.Length != g.Length)
            throw new ArgumentException($"Reduce.MaxLastAxisBackward: {gx.Length} gradients are not rows of {rowLength} for {g.Length} maxima.");
        if (g.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(MaxLastAxisBackwardKernel)(
            device.Launch.GridStride(g.Length), g, index, gx, rowLength);
    }

    /// <summary>
    /// One item per (output m, partial p): sums x[o, a, i] for a = p, p + count, ... where m = o * inner + i, and writes
    /// scale times it to y[m * count + p].
    /// </summary>
    [Kernel]
    internal static void AxisPartialSumKernel(ArrayView<float> x, ArrayView<float> y, int axis, int inner, int count, float scale)
    {
        foreach (long t in GridStride.Over(y.Length))
        {
            long m = t / count;
            int p = (int)(t - m * count);
            long o = m / inner;
            long i = m - o * inner;
            long baseIndex = o * axis * inner + i;
            float s = 0f;
            for (int a = p; a < axis; a += count) s += x[baseIndex + (long)a * inner];
            y[t] = s * scale;
        }
    }

    [Kernel]
    internal static void SumPartialsKernel(ArrayView<float> partials, ArrayView<float> y, int count, float scale)
    {
        foreach (long m in GridStride.Over(y.Length))
        {
            float s = 0f;
            long b = m * count;
            for (int p = 0; p < count; p++) s += partials[b + p];
            y[m] = s * scale;
        }
    }

    [Kernel]
    internal static void BroadcastAxisKernel(ArrayView<float> g, ArrayView<float> gx, int axis, int inner, float scale)
    {
        long block = (long)axis * inner;
        foreach (long t in GridStride.Over(gx.Length))
        {
            long o = t / block;
            long i = t - (t / inner) * inner;
            gx[t] = g[o * inner + i] * scale;
        }
    }

    [Kernel]
    internal static void MaxLastAxisKernel(ArrayView<float> x, ArrayView<float> max, ArrayView<int> index, int rowLength)
    {
        foreach (long r in GridStride.Over(max.Length))
        {
            long b = r * rowLength;
            float best = x[b];
            int at = 0;
            for (int k = 1; k < rowLength; k++)
            {
                float v = x[b + k];
                if (v > best)
                {
                    best = v;
                    at = k;
                }
            }
            max[r] = best;
            index[r] = at;
        }
    }

    [Kernel]
    internal static void MaxLastAxisBackwardKernel(ArrayView<float> g, ArrayView<int> index, ArrayView<float> gx, int rowLength)
    {
        foreach (long r in GridStride.Over(g.Length))
        {
            long b = r * rowLength;
            int at = index[r];
            float v = g[r];
            for (int k = 0; k < rowLength; k++) gx[b + k] = k == at ? v : 0f;
        }
    }
}
