using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Fused optimizer updates, one grid-stride kernel per parameter tensor, following PyTorch's single-tensor
/// <c>torch.optim.SGD</c> and <c>torch.optim.AdamW</c> update rules element by element. Every update reads a one-element
/// skip flag on the device and leaves everything unchanged when it is non-zero (the skip decision never reaches the
/// host, as PyTorch's fused optimizers read <c>found_inf</c>); the step counters advance on the device too
/// (<see cref="CommitStep"/>).
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>
    /// One SGD step in place unless skip[0] ≠ 0 (when <paramref name="skip"/> is given): d = g + wd·p; with momentum
    /// buf = momentum·buf + d (a zero buffer makes the first step buf = d); d = nesterov ? d + momentum·buf : buf;
    /// p −= lr·d. <paramref name="momentumBuffer"/> is not touched when <paramref name="momentum"/> is 0.
    /// </summary>
    public static void Sgd(Device device, ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> momentumBuffer,
        ArrayView<float>? skip, float learningRate, float momentum, bool nesterov, float weightDecay)
    {
        ArgumentNullException.ThrowIfNull(device);
        Elementwise.RequireSameLength("Sgd", parameter, gradient);
        bool useMomentum = momentum != 0f;
        if (useMomentum) Elementwise.RequireSameLength("Sgd", parameter, momentumBuffer);
        if (parameter.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, int, int, int>(SgdKernel)(
            device.Launch.GridStride(parameter.Length), parameter, gradient, useMomentum ? momentumBuffer : gradient, skip ?? gradient,
            learningRate, momentum, weightDecay, useMomentum ? 1 : 0, nesterov ? 1 : 0, skip.HasValue ? 1 : 0);
    }

    /// <summary>
    /// One AdamW step in place unless skip[0] ≠ 0, with t = steps[index] + 1 read on the device: p *= decay;
    /// m += (1 − β1)(g − m); v = β2·v + (1 − β2)·g²; p −= lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + eps), the bias
    /// corrections in double as PyTorch computes them on the host. An applied step sets increments[index] = 1, which
    /// <see cref="CommitStep"/> adds to steps[index] after every parameter has read its t. The host passes
    /// decay = 1 − lr·wd, computed in double.
    /// </summary>
    public static void AdamW(Device device, ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> expAvg,
        ArrayView<float> expAvgSq, ArrayView<float> steps, ArrayView<float> increments, int index, ArrayView<float>? skip,
        float learningRate, float decay, float beta1, float beta2, float eps)
    {
        ArgumentNullException.ThrowIfNull(device);
        Elementwise.RequireSameLength("AdamW", parameter, gradient);
        Elementwise.RequireSameLength("AdamW", parameter, expAvg);
        Elementwise.RequireSameLength("AdamW", parameter, expAvgSq);
        if (parameter.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWSettings>(AdamWKernel)(
            device.Launch.GridStride(parameter.Length), parameter, gradient, expAvg, expAvgSq, steps, increments, skip ?? steps,
            new AdamWSettings(index, skip.HasValue ? 1 : 0, learningRate, decay, beta1, beta2, eps));
    }

    /// <summary>
    /// Ends an optimizer step on the device: unless skip[0] ≠ 0, stepCount[0] += 1; every counts[i] += increments[i]
    /// and increments[i] = 0 (per-parameter counters of the updates that ran; <paramref name="counts"/> may be empty).
    /// </summary>
    public static void CommitStep(Device device, ArrayView<float>? skip, ArrayView<float> stepCount, ArrayView<float> counts, ArrayView<float> increments)
    {
        ArgumentNullException.ThrowIfNull(device);
        Elementwise.RequireSameLength("CommitStep", counts, increments);
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(CommitStepKernel)(
            device.Launch.GridStride(Math.Max(1L, counts.Length)), skip ?? stepCount, stepCount, counts.Length == 0 ? stepCount : counts,
            counts.Length == 0 ? stepCount : increments, (skip.HasValue ? 1 : 0) | (counts.Length == 0 ? 0 : 2));
    }

    /// <summary>counter[0] += 1 when flag[0] ≠ 0; then flag[0] = 0 (one thread).</summary>
    public static void CountAndClear(Device device, ArrayView<float> flag, ArrayView<float> counter)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.Kernels.Load<ArrayView<float>, ArrayView<float>>(CountAndClearKernel)(device.Launch.GridStride(1), flag, counter);
    }

    [Kernel]
    internal static void SgdKernel(ArrayView<float> p, ArrayView<float> g, ArrayView<float> buf, ArrayView<float> skip, float lr, float momentum,
        float weightDecay, int useMomentum, int nesterov, int hasSkip)
    {
        if (hasSkip != 0 && skip[0] != 0f) return;
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
        ArrayView<float> steps, ArrayView<float> increments, ArrayView<float> skip, AdamWSettings s)
    {
        if (s.HasSkip != 0 && skip[0] != 0f) return;
        double t = steps[s.Index] + 1.0;
        float stepSize = (float)(s.LearningRate / (1.0 - Math.Pow(s.Beta1, t)));
        float biasCorrection2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(s.Beta2, t));
        float oneMinusBeta1 = (float)(1.0 - s.Beta1), oneMinusBeta2 = (float)(1.0 - s.Beta2);
        if (Grid.GlobalIndex.X == 0) increments[s.Index] = 1f;
        foreach (long i in GridStride.Over(p.Length))
        {
            float gi = g[i];
            float pi = p[i] * s.Decay;
            float mi = m[i];
            mi += oneMinusBeta1 * (gi - mi);
            float vi = v[i] * s.Beta2 + oneMinusBeta2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            float denom = MathF.Sqrt(vi) / biasCorrection2Sqrt + s.Eps;
            p[i] = pi - stepSize * (mi / denom);
        }
    }

    [Kernel]
    internal static void CommitStepKernel(ArrayView<float> skip, ArrayView<float> stepCount, ArrayView<float> counts, ArrayView<float> increments, int flags)
    {
        if (Grid.GlobalIndex.X == 0 && ((flags & 1) == 0 || skip[0] == 0f)) stepCount[0] += 1f;
        if ((flags & 2) == 0) return;
        foreach (long i in GridStride.Over(counts.Length))
        {
            counts[i] += increments[i];
            increments[i] = 0f;
        }
    }

    [Kernel]
    internal static void CountAndClearKernel(ArrayView<float> flag, ArrayView<float> counter)
    {
        if (Grid.GlobalIndex.X != 0) return;
        if (flag[0] != 0f) counter[0] += 1f;
        flag[0] = 0f;
    }
}

/// <summary>The scalar arguments of <see cref="OptimizerKernels.AdamWKernel"/> (a kernel takes at most 16 parameters).</summary>
/// <param name="Index">The parameter's slot in the step counters.</param>
/// <param name="HasSkip">1 when the skip flag is read.</param>
/// <param name="LearningRate">lr.</param>
/// <param name="Decay">1 − lr·wd.</param>
/// <param name="Beta1">β1.</param>
/// <param name="Beta2">β2.</param>
/// <param name="Eps">ε.</param>
internal readonly record struct AdamWSettings(int Index, int HasSkip, float LearningRate, float Decay, float Beta1, float Beta2, float Eps);
