using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Frontend;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of the heavy BatchNorm passes of <see cref="BatchNormKernels"/> on x viewed as
/// [N, C, S]. The per-channel reductions give each worker whole channels (no partial sums, no second launch; sums in
/// double over 256-bit vector partials, at least as accurate as the portable float partials); the element-wise passes
/// give each worker a contiguous share of the (n, c) runs of S elements. Buffers are read through host pointers.
/// GPUs and the tests that switch host kernels off run the portable kernels.
/// </summary>
internal static class HostBatchNorm
{
    /// <summary>Form codes: channel mean and biased variance; Σa and Σa·b per channel; normalize; input gradient.</summary>
    internal const int Statistics = 0, SumProduct = 1, Normalize = 2, BackwardInput = 3;

    /// <summary>The operands of one pass (host addresses; 0 where a form does not use them).</summary>
    internal readonly record struct Operands(long X, long B, long Out1, long Out2, long P1, long P2, long P3, long P4);

    /// <summary>
    /// Runs one form. Statistics: Out1 = mean, Out2 = variance of X. SumProduct: Out1 = ΣX, Out2 = ΣX·B.
    /// Normalize: Out1 = y = P3·x̂ + P4 with x̂ = (X − P1)·P2, Out2 = x̂ when flag is 1. BackwardInput: Out1 = dx =
    /// P1·(X − P2/M − B·P3/M) with flag 1 (batch statistics, M = N·S, B = x̂), P1·X with flag 0.
    /// </summary>
    public static void Run(Device device, int form, Operands operands, int channels, int spatial, long total, int flag)
    {
        long items = form <= SumProduct ? channels : total / spatial;
        device.Kernels.Load<int, Operands, int, int, long, int>(HostKernel)(
            device.Launch.GridStride(items), form, operands, channels, spatial, total, flag);
    }

    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the portable BatchNorm kernels.")]
    internal static void HostKernel(int form, Operands operands, int channels, int spatial, long total, int flag)
    {
        long items = form <= SumProduct ? channels : total / spatial;
        var (start, end) = GridStride.Chunk(items);
        if (start < end) Pass(form, operands, channels, spatial, total, flag, start, end);
    }

    /// <summary>The host body (opaque to ILGPU's frontend: it uses hardware vectors).</summary>
    [External("ilgpusnn_host_batchnorm")]
    private static unsafe void Pass(int form, Operands o, int channels, int spatial, long total, int flag, long start, long end)
    {
        float* x = (float*)o.X, b = (float*)o.B, out1 = (float*)o.Out1, out2 = (float*)o.Out2;
        float* p1 = (float*)o.P1, p2 = (float*)o.P2, p3 = (float*)o.P3, p4 = (float*)o.P4;
        long batch = total / ((long)channels * spatial);
        double count = (double)batch * spatial;
        if (form == Statistics || form == SumProduct)
        {
            for (long c = start; c < end; c++)
            {
                double s1 = 0, s2 = 0;
                for (long n = 0; n < batch; n++)
                {
                    float* run = x + (n * channels + c) * spatial;
                    s1 += Sum(run, spatial);
                    if (form == SumProduct) s2 += Dot(run, b + (n * channels + c) * spatial, spatial);
                }
                if (form == Statistics)
                {
                    float mean = (float)(s1 / count);
                    for (long n = 0; n < batch; n++) s2 += SquaredDeviation(x + (n * channels + c) * spatial, mean, spatial);
                    out1[c] = mean;
                    out2[c] = (float)(s2 / count);
                }
                else
                {
                    out1[c] = (float)s1;
                    out2[c] = (float)s2;
                }
            }
            return;
        }
        float invCount = (float)(1.0 / count);
        for (long r = start; r < end; r++)
        {
            int c = (int)(r % channels);
            long e = r * spatial;
            if (form == Normalize)
            {
                float mean = p1[c], invstd = p2[c], gamma = p3[c], beta = p4[c];
                for (int i = 0; i < spatial; i++)
                {
                    float h = (x[e + i] - mean) * invstd;
                    if (flag != 0) out2[e + i] = h;
                    out1[e + i] = gamma * h + beta;
                }
            }
            else
            {
                float scale = p1[c];
                if (flag == 0)
                {
                    for (int i = 0; i < spatial; i++) out1[e + i] = scale * x[e + i];
                    continue;
                }
                float meanDy = p2[c] * invCount, meanDyXhat = p3[c] * invCount;
                for (int i = 0; i < spatial; i++) out1[e + i] = scale * (x[e + i] - meanDy - b[e + i] * meanDyXhat);
            }
        }
    }

    private static unsafe double Sum(float* v, int length)
    {
        int i = 0;
        var acc = Vector256<float>.Zero;
        for (; i + 8 <= length; i += 8) acc += Vector256.Load(v + i);
        double s = Vector256.Sum(acc);
        for (; i < length; i++) s += v[i];
        return s;
    }

    private static unsafe double Dot(float* a, float* b, int length)
    {
        int i = 0;
        var acc = Vector256<float>.Zero;
        for (; i + 8 <= length; i += 8) acc += Vector256.Load(a + i) * Vector256.Load(b + i);
        double s = Vector256.Sum(acc);
        for (; i < length; i++) s += (double)a[i] * b[i];
        return s;
    }

    private static unsafe double SquaredDeviation(float* v, float mean, int length)
    {
        int i = 0;
        var m = Vector256.Create(mean);
        var acc = Vector256<float>.Zero;
        for (; i + 8 <= length; i += 8)
        {
            var d = Vector256.Load(v + i) - m;
            acc += d * d;
        }
        double s = Vector256.Sum(acc);
        for (; i < length; i++)
        {
            double d = v[i] - mean;
            s += d * d;
        }
        return s;
    }
}
