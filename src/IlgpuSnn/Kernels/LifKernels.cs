using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Forward kernels of the spiking neurons. Each thread owns neurons (grid-stride over N) and runs the time loop
/// itself, so a whole T-step sequence is one launch. Tensors are time-major: element (t, i) is at t·N + i.
/// Views that a launch does not use are passed as placeholders and guarded by flags.
/// </summary>
internal static class LifKernels
{
    /// <summary>Flag bits of <see cref="SequenceKernel"/>.</summary>
    internal const int HasState = 1, SaveSurrogate = 2, SavePotential = 4;

    /// <summary>
    /// Runs T LIF steps over N neurons: spikes [T, N]; optionally saves σ'[t] and u[t] for the backward; reads v[0]
    /// from <paramref name="state"/> and writes v[T] back when <paramref name="state"/> is given.
    /// </summary>
    public static void Sequence(Device device, ArrayView<float> current, ArrayView<float> spikes,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? state, long n, int steps, LifParams p)
    {
        if (n == 0 || steps == 0) return;
        int flags = (state.HasValue ? HasState : 0) | (surrogate.HasValue ? SaveSurrogate : 0) | (potential.HasValue ? SavePotential : 0);
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, int, LifParams, int>(SequenceKernel)(
            device.Launch.GridStride(n), current, spikes, surrogate ?? spikes, potential ?? spikes, state ?? spikes, n, steps, p, flags);
    }

    /// <summary>
    /// One LIF step: u = λ·v_prev + I (v_prev = 0 when <paramref name="previousV"/> is null), spikes, new v;
    /// optionally saves σ' and u.
    /// </summary>
    public static void Step(Device device, ArrayView<float> current, ArrayView<float>? previousV, ArrayView<float> spikes,
        ArrayView<float> v, ArrayView<float>? surrogate, ArrayView<float>? potential, LifParams p)
    {
        long n = current.Length;
        if (n == 0) return;
        int flags = (previousV.HasValue ? HasState : 0) | (surrogate.HasValue ? SaveSurrogate : 0) | (potential.HasValue ? SavePotential : 0);
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LifParams, int>(StepKernel)(
            device.Launch.GridStride(n), current, previousV ?? current, spikes, v, surrogate ?? spikes, potential ?? spikes, p, flags);
    }

    /// <summary>
    /// Advances the RateBP spike pass by <paramref name="steps"/> steps: spikes [steps, N], and per neuron the carried
    /// potential v, the eligibility recursion e (e = 1 at the start, e ← 1 + e·ε[t] with ε = ∂u[t+1]/∂u[t]) and the sums
    /// Σ s[t] and Σ σ'[t]·e[t]. Calling it once for T steps or T times for one step gives the same result.
    /// </summary>
    public static void RateStatistics(Device device, ArrayView<float> current, ArrayView<float> spikes,
        ArrayView<float> potential, ArrayView<float> recursion, ArrayView<float> spikeSum, ArrayView<float> eligibilitySum,
        long n, int steps, LifParams p)
    {
        if (n == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, int, LifParams>(RateStatisticsKernel)(
            device.Launch.GridStride(n), current, spikes, potential, recursion, spikeSum, eligibilitySum, n, steps, p);
    }

    /// <summary>
    /// One SAF step: u = a − λ·Vth·trace, s = H(u − Vth), trace ← λ·trace + s (in place); optionally saves σ'.
    /// </summary>
    public static void SafStep(Device device, ArrayView<float> accumulated, ArrayView<float> trace, ArrayView<float> spikes,
        ArrayView<float>? surrogate, LifParams p)
    {
        long n = accumulated.Length;
        if (n == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LifParams, int>(SafStepKernel)(
            device.Launch.GridStride(n), accumulated, trace, spikes, surrogate ?? spikes, p, surrogate.HasValue ? SaveSurrogate : 0);
    }

    /// <summary>The post-reset potential v from the pre-reset u and the spike s.</summary>
    internal static float ResetPotential(LifParams p, float u, float s) =>
        p.Hard != 0 ? u * (1f - s) : u - p.Threshold * s;

    /// <summary>∂v[t]/∂u[t] for the backward (depends on reset mode and detach).</summary>
    internal static float PotentialJacobian(LifParams p, float u, float s, float sg)
    {
        if (p.Hard == 0) return p.Detach != 0 ? 1f : 1f - p.Threshold * sg;
        return p.Detach != 0 ? 1f - s : (1f - s) - u * sg;
    }

    [Kernel]
    internal static void SequenceKernel(ArrayView<float> current, ArrayView<float> spikes, ArrayView<float> surrogate,
        ArrayView<float> potential, ArrayView<float> state, long n, int steps, LifParams p, int flags)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float v = (flags & HasState) != 0 ? state[i] : 0f;
            for (int t = 0; t < steps; t++)
            {
                long k = t * n + i;
                float u = p.Decay * v + current[k];
                float z = u - p.Threshold;
                float s = z >= 0f ? 1f : 0f;
                spikes[k] = s;
                if ((flags & SaveSurrogate) != 0) surrogate[k] = SurrogateMath.Derivative(p.Kind, p.Alpha, z);
                if ((flags & SavePotential) != 0) potential[k] = u;
                v = ResetPotential(p, u, s);
            }
            if ((flags & HasState) != 0) state[i] = v;
        }
    }

    [Kernel]
    internal static void StepKernel(ArrayView<float> current, ArrayView<float> previousV, ArrayView<float> spikes,
        ArrayView<float> v, ArrayView<float> surrogate, ArrayView<float> potential, LifParams p, int flags)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < current.Length; i += stride)
        {
            float prev = (flags & HasState) != 0 ? previousV[i] : 0f;
            float u = p.Decay * prev + current[i];
            float z = u - p.Threshold;
            float s = z >= 0f ? 1f : 0f;
            spikes[i] = s;
            v[i] = ResetPotential(p, u, s);
            if ((flags & SaveSurrogate) != 0) surrogate[i] = SurrogateMath.Derivative(p.Kind, p.Alpha, z);
            if ((flags & SavePotential) != 0) potential[i] = u;
        }
    }

    [Kernel]
    internal static void RateStatisticsKernel(ArrayView<float> current, ArrayView<float> spikes, ArrayView<float> potential,
        ArrayView<float> recursion, ArrayView<float> spikeSum, ArrayView<float> eligibilitySum, long n, int steps, LifParams p)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float v = potential[i], e = recursion[i], sumS = spikeSum[i], sumE = eligibilitySum[i];
            for (int t = 0; t < steps; t++)
            {
                long k = t * n + i;
                float u = p.Decay * v + current[k];
                float z = u - p.Threshold;
                float s = z >= 0f ? 1f : 0f;
                float sg = SurrogateMath.Derivative(p.Kind, p.Alpha, z);
                spikes[k] = s;
                sumS += s;
                sumE += sg * e;
                e = 1f + e * p.Decay * PotentialJacobian(p, u, s, sg);
                v = ResetPotential(p, u, s);
            }
            potential[i] = v;
            recursion[i] = e;
            spikeSum[i] = sumS;
            eligibilitySum[i] = sumE;
        }
    }

    [Kernel]
    internal static void SafStepKernel(ArrayView<float> accumulated, ArrayView<float> trace, ArrayView<float> spikes,
        ArrayView<float> surrogate, LifParams p, int flags)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < accumulated.Length; i += stride)
        {
            float tr = trace[i];
            float u = accumulated[i] - p.Decay * p.Threshold * tr;
            float z = u - p.Threshold;
            float s = z >= 0f ? 1f : 0f;
            spikes[i] = s;
            trace[i] = p.Decay * tr + s;
            if ((flags & SaveSurrogate) != 0) surrogate[i] = SurrogateMath.Derivative(p.Kind, p.Alpha, z);
        }
    }
}
