using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Backward kernels of the spiking neurons: g_u[t] = g_s[t]·σ'[t] + g_v[t]·∂v[t]/∂u[t], g_I[t] = g_u[t],
/// g_v[t−1] = λ·g_u[t]. The sequence backward runs t = T..1 inside one launch per neuron.
/// </summary>
internal static class LifBackwardKernels
{
    /// <summary>Flag bits of <see cref="StepBackwardKernel"/>.</summary>
    internal const int HasSpikeGrad = 1, HasPotentialGrad = 2, WriteCurrentGrad = 4, WritePreviousGrad = 8;

    /// <summary>
    /// BPTT through T steps: from the spike gradients g_s [T, N] and the saved σ' (and s, u for hard reset)
    /// writes g_I [T, N].
    /// </summary>
    public static void Sequence(Device device, ArrayView<float> spikeGrad, ArrayView<float> surrogate,
        ArrayView<float>? spikes, ArrayView<float>? potential, ArrayView<float> currentGrad, long n, int steps, LifParams p)
    {
        if (n == 0 || steps == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, int, LifParams>(SequenceBackwardKernel)(
            device.Launch.GridStride(n), spikeGrad, surrogate, spikes ?? surrogate, potential ?? surrogate, currentGrad, n, steps, p);
    }

    /// <summary>
    /// One step: from g_s and g_v (either may be missing) writes g_I and/or g_vprev = λ·g_u.
    /// </summary>
    public static void Step(Device device, ArrayView<float>? spikeGrad, ArrayView<float>? potentialGrad, ArrayView<float> surrogate,
        ArrayView<float>? spikes, ArrayView<float>? potential, ArrayView<float>? currentGrad, ArrayView<float>? previousGrad, LifParams p)
    {
        if (surrogate.Length == 0) return;
        int flags = (spikeGrad.HasValue ? HasSpikeGrad : 0) | (potentialGrad.HasValue ? HasPotentialGrad : 0)
            | (currentGrad.HasValue ? WriteCurrentGrad : 0) | (previousGrad.HasValue ? WritePreviousGrad : 0);
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LifParams, int>(StepBackwardKernel)(
            device.Launch.GridStride(surrogate.Length), spikeGrad ?? surrogate, potentialGrad ?? surrogate, surrogate,
            spikes ?? surrogate, potential ?? surrogate, currentGrad ?? surrogate, previousGrad ?? surrogate, p, flags);
    }

    [Kernel]
    internal static void SequenceBackwardKernel(ArrayView<float> spikeGrad, ArrayView<float> surrogate, ArrayView<float> spikes,
        ArrayView<float> potential, ArrayView<float> currentGrad, long n, int steps, LifParams p)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float gv = 0f; // ∂L/∂v[t], carried from step t+1 (zero after the last step: v[T] is detached)
            for (int t = steps - 1; t >= 0; t--)
            {
                long k = t * n + i;
                float sg = surrogate[k];
                float s = p.Hard != 0 ? spikes[k] : 0f;
                float u = p.Hard != 0 && p.Detach == 0 ? potential[k] : 0f;
                float gu = spikeGrad[k] * sg + gv * LifKernels.PotentialJacobian(p, u, s, sg);
                currentGrad[k] = gu;
                gv = p.Decay * gu;
            }
        }
    }

    [Kernel]
    internal static void StepBackwardKernel(ArrayView<float> spikeGrad, ArrayView<float> potentialGrad, ArrayView<float> surrogate,
        ArrayView<float> spikes, ArrayView<float> potential, ArrayView<float> currentGrad, ArrayView<float> previousGrad, LifParams p, int flags)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < surrogate.Length; i += stride)
        {
            float sg = surrogate[i];
            float gs = (flags & HasSpikeGrad) != 0 ? spikeGrad[i] : 0f;
            float gv = (flags & HasPotentialGrad) != 0 ? potentialGrad[i] : 0f;
            float s = p.Hard != 0 ? spikes[i] : 0f;
            float u = p.Hard != 0 && p.Detach == 0 ? potential[i] : 0f;
            float gu = gs * sg + gv * LifKernels.PotentialJacobian(p, u, s, sg);
            if ((flags & WriteCurrentGrad) != 0) currentGrad[i] = gu;
            if ((flags & WritePreviousGrad) != 0) previousGrad[i] = p.Decay * gu;
        }
    }
}
