using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Scaled weight standardisation of a weight viewed as [rows, n] (one row per output unit, n = fan-in):
/// ŵ = (w − mean)/s with s = sqrt(var·n + eps) and the unbiased variance, then y = gain·ŵ. One row per work item,
/// grid-stride over the rows (<see cref="GridStride"/>); each row is read in whole passes (a row is short: a fan-in).
/// </summary>
internal static class WeightStandardizationKernels
{
    /// <summary>
    /// Writes the standardised weight <paramref name="y"/> = gain·ŵ, ŵ into <paramref name="standardized"/> and 1/s per
    /// row into <paramref name="inverseScale"/>. Without <paramref name="hasGain"/> the gain is 1 (and
    /// <paramref name="gain"/> is not read).
    /// </summary>
    public static void Forward(Device device, ArrayView<float> w, ArrayView<float> gain, bool hasGain, ArrayView<float> y,
        ArrayView<float> standardized, ArrayView<float> inverseScale, int rows, int n, float eps)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (w.Length != (long)rows * n || y.Length != w.Length || standardized.Length != w.Length || inverseScale.Length != rows)
            throw new ArgumentException($"WeightStandardizationKernels.Forward: buffers do not fit [{rows}, {n}].");
        if (rows == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(ForwardKernel)(
            device.Launch.GridStride(rows), w, gain, hasGain ? 1 : 0, y, standardized, inverseScale, n, eps);
    }

    /// <summary>
    /// From dL/dy: dL/dgain[r] = Σ_i dy_i·ŵ_i (when <paramref name="hasGain"/>) and
    /// dL/dw_k = (gain/s)·[dy_k − mean(dy) − c·ŵ_k·Σ_i dy_i·ŵ_i] with c = n/(n − 1) (the unbiased variance's factor).
    /// </summary>
    public static void Backward(Device device, ArrayView<float> dy, ArrayView<float> standardized, ArrayView<float> inverseScale,
        ArrayView<float> gain, bool hasGain, ArrayView<float> dw, ArrayView<float> dgain, int rows, int n)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (dy.Length != (long)rows * n || standardized.Length != dy.Length || dw.Length != dy.Length || inverseScale.Length != rows)
            throw new ArgumentException($"WeightStandardizationKernels.Backward: buffers do not fit [{rows}, {n}].");
        if (rows == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, int>(BackwardKernel)(
            device.Launch.GridStride(rows), dy, standardized, inverseScale, gain, hasGain ? 1 : 0, dw, dgain, n);
    }

    [Kernel]
    internal static void ForwardKernel(ArrayView<float> w, ArrayView<float> gain, int hasGain, ArrayView<float> y,
        ArrayView<float> standardized, ArrayView<float> inverseScale, int n, float eps)
    {
        foreach (long r in GridStride.Over(inverseScale.Length))
        {
            long start = r * n;
            float sum = 0f;
            for (int i = 0; i < n; i++) sum += w[start + i];
            float mean = sum / n;
            float squares = 0f;
            for (int i = 0; i < n; i++)
            {
                float d = w[start + i] - mean;
                squares += d * d;
            }
            // var·n with the unbiased variance: Σ(w − mean)²·n/(n − 1).
            float inv = 1f / MathF.Sqrt(squares * n / (n - 1) + eps);
            float g = hasGain != 0 ? gain[r] : 1f;
            for (int i = 0; i < n; i++)
            {
                float s = (w[start + i] - mean) * inv;
                standardized[start + i] = s;
                y[start + i] = g * s;
            }
            inverseScale[r] = inv;
        }
    }

    [Kernel]
    internal static void BackwardKernel(ArrayView<float> dy, ArrayView<float> standardized, ArrayView<float> inverseScale,
        ArrayView<float> gain, int hasGain, ArrayView<float> dw, ArrayView<float> dgain, int n)
    {
        foreach (long r in GridStride.Over(inverseScale.Length))
        {
            long start = r * n;
            float sumDy = 0f, sumDyS = 0f;
            for (int i = 0; i < n; i++)
            {
                sumDy += dy[start + i];
                sumDyS += dy[start + i] * standardized[start + i];
            }
            float g = hasGain != 0 ? gain[r] : 1f;
            float meanDy = sumDy / n;
            float c = (float)n / (n - 1);
            float scale = g * inverseScale[r];
            for (int i = 0; i < n; i++)
                dw[start + i] = scale * (dy[start + i] - meanDy - c * standardized[start + i] * sumDyS);
            if (hasGain != 0) dgain[r] = sumDyS;
        }
    }
}
