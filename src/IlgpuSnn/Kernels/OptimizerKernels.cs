using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Fused optimizer updates, one grid-stride kernel per parameter tensor, following PyTorch's single-tensor
/// <c>torch.optim.SGD</c> and <c>torch.optim.AdamW</c> update rules element by element.
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>
    /// One SGD step in place: d = g + wd·p; with momentum buf = momentum·buf + d (a zero buffer makes the first
    /// step buf = d); d = nesterov ? d + momentum·buf : buf; p −= lr·d. <paramref name="momentumBuffer"/> is not
    /// touched when <paramref name="momentum"/> is 0.
    /// </summary>
    public static void Sgd(Device device, ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> momentumBuffer,
        float learningRate, float momentum, bool nesterov, float weightDecay)
    {
        ArgumentNullException.ThrowIfNull(device);
        Elementwise.RequireSameLength("Sgd", parameter, gradient);
        bool useMomentum = momentum != 0f;
        if (useMomentum) Elementwise.RequireSameLength("Sgd", parameter, momentumBuffer);
        if (parameter.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, int, int>(SgdKernel)(
            device.Launch.GridStride(parameter.Length), parameter, gradient, useMomentum ? momentumBuffer : gradient,
            learningRate, momentum, weightDecay, useMomentum ? 1 : 0, nesterov ? 1 : 0);
    }

    /// <summary>
    /// One AdamW step in place: p *= decay; m += (1 − β1)(g − m); v = β2·v + (1 − β2)·g²;
    /// p −= stepSize · m / (sqrt(v) / biasCorrection2Sqrt + eps). The host passes decay = 1 − lr·wd,
    /// stepSize = lr / (1 − β1^t) and biasCorrection2Sqrt = sqrt(1 − β2^t), computed in double.
    /// </summary>
    public static void AdamW(Device device, ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> expAvg,
        ArrayView<float> expAvgSq, float decay, float beta1, float beta2, float stepSize, float biasCorrection2Sqrt, float eps)
    {
        ArgumentNullException.ThrowIfNull(device);
        Elementwise.RequireSameLength("AdamW", parameter, gradient);
        Elementwise.RequireSameLength("AdamW", parameter, expAvg);
        Elementwise.RequireSameLength("AdamW", parameter, expAvgSq);
        if (parameter.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, float, float, float, float>(AdamWKernel)(
            device.Launch.GridStride(parameter.Length), parameter, gradient, expAvg, expAvgSq,
            decay, (float)(1.0 - beta1), beta2, (float)(1.0 - beta2), stepSize, biasCorrection2Sqrt, eps);
    }

    [Kernel]
    internal static void SgdKernel(ArrayView<float> p, ArrayView<float> g, ArrayView<float> buf, float lr, float momentum, float weightDecay,
        int useMomentum, int nesterov)
    {
        foreach (long i in GridStride.Over(p.Length))
        {
            float pi = p[i];
            float d = g[i];
            if (weightDecay != 0f) d += weightDecay * pi;
            if (useMomentum != 0)
            {
                float b = momentum * buf[i] + d;
                buf[i] = b;
                d = nesterov != 0 ? d + momentum * b : b;
            }
            p[i] = pi - lr * d;
        }
    }

    [Kernel]
    internal static void AdamWKernel(ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v,
        float decay, float oneMinusBeta1, float beta2, float oneMinusBeta2, float stepSize, float biasCorrection2Sqrt, float eps)
    {
        foreach (long i in GridStride.Over(p.Length))
        {
            float gi = g[i];
            float pi = p[i] * decay;
            float mi = m[i];
            mi += oneMinusBeta1 * (gi - mi);
            float vi = v[i] * beta2 + oneMinusBeta2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            float denom = MathF.Sqrt(vi) / biasCorrection2Sqrt + eps;
            p[i] = pi - stepSize * (mi / denom);
        }
    }
}
