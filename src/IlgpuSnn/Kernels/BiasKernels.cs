using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Bias helpers for tensors viewed as [outer, channels, inner] (Linear: [N, out, 1]; Conv2d: [N, O, Ho*Wo]):
/// broadcasting a per-channel bias and summing a gradient back to one value per channel. Grid-stride, no atomics.
/// </summary>
internal static class BiasKernels
{
    /// <summary>y[a, c, i] = bias[c] for the whole of <paramref name="y"/> (length outer*channels*inner).</summary>
    public static void Broadcast(Device device, ArrayView<float> bias, ArrayView<float> y, int channels, int inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (y.Length == 0) return;
        if (bias.Length != channels)
            throw new ArgumentException($"BiasKernels.Broadcast: bias has {bias.Length} elements for {channels} channels.");
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int>(BroadcastKernel)(
            device.Launch.GridStride(y.Length), bias, y, channels, inner);
    }

    /// <summary>
    /// sum[c] = sum over a and i of x[a, c, i], for x of [outer, channels, inner]. Two passes: one partial sum per
    /// (c, a) over the contiguous inner run (in <paramref name="partial"/>, at least channels*outer elements; may be
    /// empty when inner is 1), then one sum per channel.
    /// </summary>
    public static void SumPerChannel(Device device, ArrayView<float> x, ArrayView<float> sum, ArrayView<float> partial, int outer, int channels, int inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (channels == 0) return;
        if (x.Length != (long)outer * channels * inner || sum.Length != channels)
            throw new ArgumentException($"BiasKernels.SumPerChannel: {x.Length} values and {sum.Length} sums for [{outer}, {channels}, {inner}].");
        var reduce = device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, int>(SumKernel);
        if (inner == 1)
        {
            reduce(device.Launch.GridStride(channels), x, sum, outer, channels, 1);
            return;
        }
        long pairs = (long)outer * channels;
        if (partial.Length < pairs)
            throw new ArgumentException($"BiasKernels.SumPerChannel: partial buffer holds {partial.Length} values, {pairs} needed.");
        var p = partial.SubView(0, pairs);
        // pass 1: p[a*channels + c] = sum_i x[a, c, i]  (viewed as [pairs, 1, inner] summed over the last axis)
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int>(RowSumKernel)(device.Launch.GridStride(pairs), x, p, inner);
        // pass 2: sum[c] = sum_a p[a, c]
        reduce(device.Launch.GridStride(channels), p, sum, outer, channels, 1);
    }

    [Kernel]
    internal static void BroadcastKernel(ArrayView<float> bias, ArrayView<float> y, int channels, int inner)
    {
        foreach (long i in GridStride.Over(y.Length)) y[i] = bias[i / inner % channels];
    }

    [Kernel]
    internal static void RowSumKernel(ArrayView<float> x, ArrayView<float> rows, int inner)
    {
        foreach (long r in GridStride.Over(rows.Length))
        {
            float s = 0f;
            long start = r * inner;
            for (int i = 0; i < inner; i++) s += x[start + i];
            rows[r] = s;
        }
    }

    [Kernel]
    internal static void SumKernel(ArrayView<float> x, ArrayView<float> sum, int outer, int channels, int inner)
    {
        foreach (long c in GridStride.Over(channels))
        {
            float s = 0f;
            for (int a = 0; a < outer; a++)
            {
                long start = ((long)a * channels + c) * inner;
                for (int i = 0; i < inner; i++) s += x[start + i];
            }
            sum[c] = s;
        }
    }
}
