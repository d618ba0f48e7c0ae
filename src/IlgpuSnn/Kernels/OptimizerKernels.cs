using System.Runtime.CompilerServices;
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
    /// <summary>The update rules of <see cref="HostStep"/>.</summary>
    internal const int SgdMethod = 0, AdamWMethod = 1;

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

    /// <summary>
    /// The whole step of one optimizer over several parameters in ONE launch of a host-pointer kernel (CPU accelerator
    /// only; GPUs launch <see cref="Sgd"/> / <see cref="AdamW"/> per parameter, where a launch is cheap): the same
    /// element updates, and the end of the step (<see cref="CommitStep"/>: stepCount[0] += 1 and, for AdamW, the
    /// per-parameter counts of the updated parameters) done by whichever thread finishes last, after every thread has
    /// read its step counts. Nothing happens when skip[0] ≠ 0.
    /// </summary>
    /// <param name="device">The CPU accelerator's device.</param>
    /// <param name="updates">The parameters to update: their views, their state views and their slot in the counts.</param>
    /// <param name="method">The rule: <see cref="SgdMethod"/> or <see cref="AdamWMethod"/>.</param>
    /// <param name="skip">The one-element skip flag, or null to update unconditionally.</param>
    /// <param name="stepCount">The optimizer's one-element step count.</param>
    /// <param name="counts">AdamW's per-parameter step counts (read as t − 1, then advanced); empty for SGD.</param>
    /// <param name="settings">The rule's scalars (for SGD: learning rate, momentum, weight decay, momentum and Nesterov flags).</param>
    public static void HostStep(Device device, ReadOnlySpan<HostUpdate> updates, int method, ArrayView<float>? skip, ArrayView<float> stepCount,
        ArrayView<float> counts, HostStepSettings settings)
    {
        ArgumentNullException.ThrowIfNull(device);
        var table = new HostTable(updates.Length);
        for (int e = 0; e < updates.Length; e++)
        {
            var u = updates[e];
            Elementwise.RequireSameLength("HostStep", u.Parameter, u.Gradient);
            if (u.StateA.Length != 0) Elementwise.RequireSameLength("HostStep", u.Parameter, u.StateA);
            if (u.StateB.Length != 0) Elementwise.RequireSameLength("HostStep", u.Parameter, u.StateB);
            if (method == AdamWMethod && ((ulong)u.Slot >= (ulong)counts.Length || u.StateA.Length == 0 || u.StateB.Length == 0))
                throw new ArgumentException($"HostStep: AdamW update {e} needs both moments and a slot below {counts.Length}, got slot {u.Slot}.", nameof(updates));
            var entry = table.Add(u.Parameter.Length); // parameter, gradient, state A, state B addresses, slot
            entry[0] = HostMemory.Address(u.Parameter);
            entry[1] = HostMemory.Address(u.Gradient);
            entry[2] = HostMemory.Address(u.StateA);
            entry[3] = HostMemory.Address(u.StateB);
            entry[4] = u.Slot;
        }
        device.Kernels.Load<HostSegments, long, long, long, int, HostStepSettings>(HostStepKernel)(
            device.Launch.GridStride(Math.Max(1L, table.Total)), table.Segments, skip is { } s ? HostMemory.Address(s) : 0L, HostMemory.Address(stepCount),
            HostMemory.Address(counts), method, settings);
        device.Kernels.KeepAlive(table);
    }

    /// <summary>One SGD element: d = g + wd·p; with momentum buf = momentum·buf + d, d = nesterov ? d + momentum·buf : buf; returns p − lr·d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SgdElement(float p, float g, ref float buf, float lr, float momentum, float weightDecay, int useMomentum, int nesterov)
    {
        float d = g;
        if (weightDecay != 0f) d += weightDecay * p;
        if (useMomentum != 0)
        {
            float b = momentum * buf + d;
            buf = b;
            d = nesterov != 0 ? d + momentum * b : b;
        }
        return p - lr * d;
    }

    /// <summary>One AdamW element: m += (1 − β1)(g − m); v = β2·v + (1 − β2)·g²; returns p·decay − stepSize·m / (sqrt(v)/sqrt(1 − β2^t) + eps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float AdamWElement(float p, float g, ref float m, ref float v, AdamWCoefficients c)
    {
        float pi = p * c.Decay;
        float mi = m;
        mi += c.OneMinusBeta1 * (g - mi);
        float vi = v * c.Beta2 + c.OneMinusBeta2 * g * g;
        m = mi;
        v = vi;
        float denom = MathF.Sqrt(vi) / c.BiasCorrection2Sqrt + c.Eps;
        return pi - c.StepSize * (mi / denom);
    }

    [Kernel]
    internal static void SgdKernel(ArrayView<float> p, ArrayView<float> g, ArrayView<float> buf, ArrayView<float> skip, float lr, float momentum,
        float weightDecay, int useMomentum, int nesterov, int hasSkip)
    {
        if (hasSkip != 0 && skip[0] != 0f) return;
        foreach (long i in GridStride.Over(p.Length))
        {
            float b = useMomentum != 0 ? buf[i] : 0f;
            p[i] = SgdElement(p[i], g[i], ref b, lr, momentum, weightDecay, useMomentum, nesterov);
            if (useMomentum != 0) buf[i] = b;
        }
    }

    [Kernel]
    internal static void AdamWKernel(ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v,
        ArrayView<float> steps, ArrayView<float> increments, ArrayView<float> skip, AdamWSettings s)
    {
        if (s.HasSkip != 0 && skip[0] != 0f) return;
        var c = AdamWCoefficients.At(steps[s.Index] + 1.0, s.LearningRate, s.Decay, s.Beta1, s.Beta2, s.Eps);
        if (Grid.GlobalIndex.X == 0) increments[s.Index] = 1f;
        foreach (long i in GridStride.Over(p.Length))
        {
            float mi = m[i], vi = v[i];
            p[i] = AdamWElement(p[i], g[i], ref mi, ref vi, c);
            m[i] = mi;
            v[i] = vi;
        }
    }

    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run SgdKernel / AdamWKernel per parameter and CommitStepKernel.")]
    internal static unsafe void HostStepKernel(HostSegments table, long skip, long stepCount, long counts, int method, HostStepSettings s)
    {
        if (skip != 0 && *(float*)skip != 0f) return;
        float* pCounts = (float*)counts;
        foreach (var piece in table.Share())
        {
            float* p = piece.Floats(0), g = piece.Floats(1), a = piece.Floats(2), b = piece.Floats(3);
            long lo = piece.Lo, hi = piece.Hi;
            if (method == SgdMethod)
            {
                for (long i = HostOptimizerVector.Sgd(p, g, a, lo, hi, s); i < hi; i++)
                {
                    float buf = s.UseMomentum != 0 ? a[i] : 0f;
                    p[i] = SgdElement(p[i], g[i], ref buf, s.LearningRate, s.A, s.B, s.UseMomentum, s.Nesterov);
                    if (s.UseMomentum != 0) a[i] = buf;
                }
            }
            else
            {
                var c = AdamWCoefficients.At(pCounts[piece[4]] + 1.0, s.LearningRate, s.A, s.B, s.C, s.D);
                for (long i = lo; i < hi; i++) p[i] = AdamWElement(p[i], g[i], ref a[i], ref b[i], c);
            }
        }
        // The last worker to finish ends the step: every other worker has read its step counts by now.
        if (!table.LastToFinish()) return;
        *(float*)stepCount += 1f;
        if (method != AdamWMethod) return;
        for (int e = 0; e < table.Entries; e++) pCounts[table.Payload(e)[4]] += 1f;
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

/// <summary>One parameter of <see cref="OptimizerKernels.HostStep"/>.</summary>
/// <param name="Parameter">The parameter, updated in place.</param>
/// <param name="Gradient">Its gradient.</param>
/// <param name="StateA">SGD's momentum buffer (empty without momentum) or AdamW's first moment.</param>
/// <param name="StateB">AdamW's second moment (empty for SGD).</param>
/// <param name="Slot">The parameter's index in AdamW's per-parameter step counts.</param>
internal readonly record struct HostUpdate(ArrayView<float> Parameter, ArrayView<float> Gradient, ArrayView<float> StateA, ArrayView<float> StateB, int Slot);

/// <summary>
/// The scalars of <see cref="OptimizerKernels.HostStepKernel"/>: SGD reads A = momentum, B = weight decay and the two
/// flags; AdamW reads A = decay (1 − lr·wd), B = β1, C = β2, D = ε.
/// </summary>
/// <param name="LearningRate">lr.</param>
/// <param name="A">SGD: momentum; AdamW: decay.</param>
/// <param name="B">SGD: weight decay; AdamW: β1.</param>
/// <param name="C">AdamW: β2.</param>
/// <param name="D">AdamW: ε.</param>
/// <param name="UseMomentum">SGD: 1 when the momentum buffer is used.</param>
/// <param name="Nesterov">SGD: 1 for Nesterov momentum.</param>
internal readonly record struct HostStepSettings(float LearningRate, float A, float B, float C, float D, int UseMomentum, int Nesterov);

/// <summary>
/// The per-step scalars of an AdamW update at step t: the bias corrections in double, as PyTorch computes them on the
/// host, then rounded to float.
/// </summary>
/// <param name="StepSize">lr / (1 − β1^t).</param>
/// <param name="BiasCorrection2Sqrt">sqrt(1 − β2^t).</param>
/// <param name="OneMinusBeta1">1 − β1.</param>
/// <param name="OneMinusBeta2">1 − β2.</param>
/// <param name="Decay">1 − lr·wd.</param>
/// <param name="Beta2">β2.</param>
/// <param name="Eps">ε.</param>
internal readonly record struct AdamWCoefficients(float StepSize, float BiasCorrection2Sqrt, float OneMinusBeta1, float OneMinusBeta2, float Decay, float Beta2, float Eps)
{
    /// <summary>The coefficients at step <paramref name="t"/> (counted from 1).</summary>
    public static AdamWCoefficients At(double t, float learningRate, float decay, float beta1, float beta2, float eps) =>
        new((float)(learningRate / (1.0 - Math.Pow(beta1, t))), (float)Math.Sqrt(1.0 - Math.Pow(beta2, t)),
            (float)(1.0 - beta1), (float)(1.0 - beta2), decay, beta2, eps);
}
