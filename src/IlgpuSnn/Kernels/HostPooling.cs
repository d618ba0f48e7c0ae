using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Frontend;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of average pooling and its backward (<see cref="Pooling"/>): each worker takes a
/// contiguous share of whole planes and reads them through host pointers, with the portable kernels' arithmetic and
/// summation order (so the results are identical); the usual 2×2 window at stride 2 takes 128-bit vectors. GPUs and the tests that switch host kernels off run the portable
/// kernels.
/// </summary>
internal static class HostPooling
{
    /// <summary>Average pooling (backward = 1) over <paramref name="planes"/> planes of height x width.</summary>
    public static void Average(Device device, ArrayView<float> source, ArrayView<float> target, long planes, int backward,
        int height, int width, int outHeight, int outWidth, int kernel, int step)
    {
        device.Kernels.Load<long, long, long, int, int, int, int, int, int, int>(AverageKernel)(
            device.Launch.GridStride(planes), HostMemory.Address(source), HostMemory.Address(target), planes, backward,
            height, width, outHeight, outWidth, kernel, step);
    }

    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the portable pooling kernels.")]
    internal static void AverageKernel(long source, long target, long planes, int backward,
        int height, int width, int outHeight, int outWidth, int kernel, int step)
    {
        var (start, end) = GridStride.Chunk(planes);
        if (start < end) AveragePlanes(source, target, start, end, backward, height, width, outHeight, outWidth, kernel, step);
    }

    /// <summary>Planes [start, end) (opaque to ILGPU's frontend: it uses hardware vectors).</summary>
    [External("ilgpusnn_host_average_planes")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AveragePlanes(long source, long target, long start, long end, int backward,
        int height, int width, int outHeight, int outWidth, int kernel, int step)
    {
        long planeIn = (long)height * width, planeOut = (long)outHeight * outWidth;
        float invArea = 1f / (kernel * kernel);
        for (long p = start; p < end; p++)
        {
            if (kernel == 2 && step == 2)
            {
                if (backward == 0)
                {
                    float* x = (float*)source + p * planeIn;
                    float* y = (float*)target + p * planeOut;
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        float* r0 = x + 2L * oh * width;
                        Average2x2Row(r0, r0 + width, y + (long)oh * outWidth, outWidth, invArea);
                    }
                }
                else
                {
                    // Every input position lies in at most one window; those past the last window get zero.
                    float* gy = (float*)source + p * planeOut;
                    float* gx = (float*)target + p * planeIn;
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        float* r0 = gx + 2L * oh * width;
                        Spread2x2Rows(gy + (long)oh * outWidth, r0, r0 + width, outWidth, invArea);
                        new Span<float>(r0 + 2 * outWidth, width - 2 * outWidth).Clear();
                        new Span<float>(r0 + width + 2 * outWidth, width - 2 * outWidth).Clear();
                    }
                    new Span<float>(gx + 2L * outHeight * width, (height - 2 * outHeight) * width).Clear();
                }
            }
            else if (backward == 0)
            {
                float* x = (float*)source + p * planeIn;
                float* y = (float*)target + p * planeOut;
                for (int oh = 0; oh < outHeight; oh++)
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        float* b = x + (long)oh * step * width + (long)ow * step;
                        float s = 0f;
                        for (int kh = 0; kh < kernel; kh++)
                            for (int kw = 0; kw < kernel; kw++)
                                s += b[(long)kh * width + kw];
                        y[(long)oh * outWidth + ow] = s * invArea;
                    }
            }
            else
            {
                float* gy = (float*)source + p * planeOut;
                float* gx = (float*)target + p * planeIn;
                for (int h = 0; h < height; h++)
                {
                    int oh0 = h < kernel ? 0 : (h - kernel) / step + 1, oh1 = Math.Min(h / step, outHeight - 1);
                    for (int w = 0; w < width; w++)
                    {
                        int ow0 = w < kernel ? 0 : (w - kernel) / step + 1, ow1 = Math.Min(w / step, outWidth - 1);
                        float s = 0f;
                        for (int oh = oh0; oh <= oh1; oh++)
                            for (int ow = ow0; ow <= ow1; ow++)
                                s += gy[(long)oh * outWidth + ow];
                        gx[(long)h * width + w] = s * invArea;
                    }
                }
            }
        }
    }

    /// <summary>
    /// One output row of the 2×2 window at stride 2: y[ow] = (((0 + r0[2ow]) + r0[2ow + 1]) + r1[2ow]) + r1[2ow + 1])
    /// · invArea, the portable kernel's summation order, 4 outputs per 128-bit step (the last step overlaps the one
    /// before when the row is not a multiple of 4; rows under 4 outputs go one by one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Average2x2Row(float* r0, float* r1, float* y, int outWidth, float invArea)
    {
        if (outWidth < 4)
        {
            for (int ow = 0; ow < outWidth; ow++) y[ow] = (0f + r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) * invArea;
            return;
        }
        var inv = Vector128.Create(invArea);
        for (int ow = 0; ; ow += 4)
        {
            if (ow > outWidth - 4) ow = outWidth - 4;
            var lower = WindowSums(r0 + 2 * ow, r1 + 2 * ow);
            var upper = WindowSums(r0 + 2 * ow + 4, r1 + 2 * ow + 4);
            // The even lanes hold the sums: keep the low 32 bits of each 64-bit pair.
            (Vector128.Narrow(lower.AsUInt64(), upper.AsUInt64()).AsSingle() * inv).Store(y + ow);
            if (ow == outWidth - 4) return;
        }
    }

    /// <summary>Lanes 0 and 2 of the result: the sums of the windows at columns (0, 1) and (2, 3) of rows r0, r1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe Vector128<float> WindowSums(float* r0, float* r1)
    {
        var a = Vector128.Load(r0);
        var b = Vector128.Load(r1);
        // x >> 32 on 64-bit pairs moves each odd lane onto the even one before it.
        var aOdd = Vector128.ShiftRightLogical(a.AsUInt64(), 32).AsSingle();
        var bOdd = Vector128.ShiftRightLogical(b.AsUInt64(), 32).AsSingle();
        return Vector128<float>.Zero + a + aOdd + b + bOdd;
    }

    /// <summary>
    /// The two input rows under one output row of the 2×2 backward at stride 2: gx[w] = (0 + gy[w / 2])·invArea for
    /// w &lt; 2·outWidth in both rows, 4 windows per 128-bit step (overlapping last step as in
    /// <see cref="Average2x2Row"/>), each value computed once and stored to both rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Spread2x2Rows(float* gy, float* gx0, float* gx1, int outWidth, float invArea)
    {
        if (outWidth < 4)
        {
            for (int w = 0; w < 2 * outWidth; w++) gx0[w] = gx1[w] = (0f + gy[w / 2]) * invArea;
            return;
        }
        var inv = Vector128.Create(invArea);
        for (int ow = 0; ; ow += 4)
        {
            if (ow > outWidth - 4) ow = outWidth - 4;
            var g = (Vector128<float>.Zero + Vector128.Load(gy + ow)) * inv;
            var lower = Vector128.Shuffle(g, Vector128.Create(0, 0, 1, 1));
            var upper = Vector128.Shuffle(g, Vector128.Create(2, 2, 3, 3));
            lower.Store(gx0 + 2 * ow);
            upper.Store(gx0 + 2 * ow + 4);
            lower.Store(gx1 + 2 * ow);
            upper.Store(gx1 + 2 * ow + 4);
            if (ow == outWidth - 4) return;
        }
    }
}
