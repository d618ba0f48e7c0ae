using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using static IlgpuSnn.Kernels.NeuronFlags;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Backward kernels of the spiking neurons, generic over the dynamics <see cref="INeuronDynamics"/>:
/// g_u[t] = g_s[t]·σ'[t] + g_v[t]·dv[t]/du[t], g_I[t] = g_u[t]·∂u[t]/∂I[t], g_v[t−1] = g_u[t]·∂u[t]/∂v[t−1] and,
/// for a learnable θ, g_θ += g_u[t]·∂u[t]/∂θ. The sequence backward runs t = T..1 inside one launch per neuron.
/// The spikes are read from <c>spikes</c> (<see cref="NeuronBackwardNeeds.Spikes"/>) or recomputed from u
/// (<see cref="NeuronBackwardNeeds.Potential"/>, which also rebuilds v[t−1] = reset(u[t−1])).
/// </summary>
internal static class LifBackwardKernels
{
    /// <summary>
    /// BPTT through T steps: from the spike gradients g_s [T, N] and the saved σ' (and s or u as the neuron needs)
    /// writes g_I [T, N] and, when <paramref name="parameterGrad"/> is given, Σ_t g_u·∂u/∂θ per neuron [N].
    /// <paramref name="initial"/> is v before the first step (zeros when null).
    /// </summary>
    public static void Sequence<TNeuron>(Device device, ArrayView<float> spikeGrad, ArrayView<float> surrogate,
        ArrayView<float>? spikes, ArrayView<float>? potential, ArrayView<float>? initial, ArrayView<float> currentGrad,
        ArrayView<float>? parameterGrad, ArrayView<float>? parameter, long n, int steps, TNeuron neuron)
        where TNeuron : struct, INeuronDynamics
    {
        if (n == 0 || steps == 0) return;
        int flags = (spikes.HasValue ? ReadSpikes : 0) | (potential.HasValue ? ReadPotential : 0)
            | (initial.HasValue ? HasState : 0) | (parameterGrad.HasValue ? WriteParameterGrad : 0) | (parameter.HasValue ? HasParameter : 0);
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, long, long, long, int, TNeuron, int>(HostLifKernels.SequenceBackwardKernel<TNeuron>)(
                device.Launch.GridStride(n), HostMemory.Address(spikeGrad), HostMemory.Address(surrogate), LifKernels.Address(spikes),
                LifKernels.Address(potential), LifKernels.Address(initial), HostMemory.Address(currentGrad), LifKernels.Address(parameterGrad),
                LifKernels.Address(parameter), n, steps, neuron, flags);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, int, TNeuron, int>(
            SequenceBackwardKernel<TNeuron>)(
            device.Launch.GridStride(n), spikeGrad, surrogate, spikes ?? surrogate, potential ?? surrogate, initial ?? surrogate,
            currentGrad, parameterGrad ?? surrogate, parameter ?? surrogate, n, steps, neuron, flags);
    }

    /// <summary>
    /// One step: from g_s and g_v (either may be missing) writes g_I, g_vprev and/or g_θ per element.
    /// <paramref name="previousV"/> is the step's v[t−1] (needed only when the neuron reads the potential).
    /// </summary>
    public static void Step<TNeuron>(Device device, ArrayView<float>? spikeGrad, ArrayView<float>? potentialGrad, ArrayView<float> surrogate,
        ArrayView<float>? spikes, ArrayView<float>? potential, ArrayView<float>? previousV, ArrayView<float>? currentGrad,
        ArrayView<float>? previousGrad, ArrayView<float>? parameterGrad, ArrayView<float>? parameter, TNeuron neuron)
        where TNeuron : struct, INeuronDynamics
    {
        if (surrogate.Length == 0) return;
        int flags = (spikeGrad.HasValue ? HasSpikeGrad : 0) | (potentialGrad.HasValue ? HasStateGrad : 0)
            | (currentGrad.HasValue ? WriteCurrentGrad : 0) | (previousGrad.HasValue ? WritePreviousGrad : 0)
            | (parameterGrad.HasValue ? WriteParameterGrad : 0) | (spikes.HasValue ? ReadSpikes : 0)
            | (potential.HasValue ? ReadPotential : 0) | (previousV.HasValue ? HasState : 0) | (parameter.HasValue ? HasParameter : 0);
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, long, long, long, long, long, TNeuron, int>(HostLifKernels.StepBackwardKernel<TNeuron>)(
                device.Launch.GridStride(surrogate.Length), LifKernels.Address(spikeGrad), LifKernels.Address(potentialGrad),
                HostMemory.Address(surrogate), LifKernels.Address(spikes), LifKernels.Address(potential), LifKernels.Address(previousV),
                LifKernels.Address(currentGrad), LifKernels.Address(previousGrad), LifKernels.Address(parameterGrad), LifKernels.Address(parameter),
                surrogate.Length, neuron, flags);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, TNeuron, int>(
            StepBackwardKernel<TNeuron>)(
            device.Launch.GridStride(surrogate.Length), spikeGrad ?? surrogate, potentialGrad ?? surrogate, surrogate,
            spikes ?? surrogate, potential ?? surrogate, previousV ?? surrogate, currentGrad ?? surrogate, previousGrad ?? surrogate,
            parameterGrad ?? surrogate, parameter ?? surrogate, neuron, flags);
    }

    [Kernel]
    internal static void SequenceBackwardKernel<TNeuron>(ArrayView<float> spikeGrad, ArrayView<float> surrogate, ArrayView<float> spikes,
        ArrayView<float> potential, ArrayView<float> initial, ArrayView<float> currentGrad, ArrayView<float> parameterGrad,
        ArrayView<float> parameter, long n, int steps, TNeuron dynamics, int flags)
        where TNeuron : struct, INeuronDynamics
    {
        TNeuron neuron = Bound(dynamics, parameter, flags);
        bool readU = (flags & ReadPotential) != 0;
        foreach (long i in GridStride.Over(n))
        {
            float gv = 0f; // ∂L/∂v[t], carried from step t+1 (zero after the last step: v[T] is detached)
            float gp = 0f;
            for (int t = steps - 1; t >= 0; t--)
            {
                long k = t * n + i;
                float sg = surrogate[k];
                float u = readU ? potential[k] : 0f;
                float s = readU ? NeuronElements.Spike(neuron, u) : (flags & ReadSpikes) != 0 ? spikes[k] : 0f;
                float gu = NeuronElements.PotentialGradient(neuron, spikeGrad[k], gv, sg, u, s);
                float vPrev = 0f;
                if (readU && t > 0)
                {
                    vPrev = NeuronElements.StateAfter(neuron, potential[k - n]);
                }
                else if (readU && (flags & HasState) != 0)
                {
                    vPrev = initial[i];
                }
                currentGrad[k] = gu * neuron.ChargeCurrentDerivative(vPrev);
                gp += gu * neuron.ChargeParameterDerivative(vPrev);
                gv = gu * neuron.ChargeStateDerivative(vPrev);
            }
            if ((flags & WriteParameterGrad) != 0) parameterGrad[i] = gp;
        }
    }

    [Kernel]
    internal static void StepBackwardKernel<TNeuron>(ArrayView<float> spikeGrad, ArrayView<float> potentialGrad, ArrayView<float> surrogate,
        ArrayView<float> spikes, ArrayView<float> potential, ArrayView<float> previousV, ArrayView<float> currentGrad,
        ArrayView<float> previousGrad, ArrayView<float> parameterGrad, ArrayView<float> parameter, TNeuron dynamics, int flags)
        where TNeuron : struct, INeuronDynamics
    {
        TNeuron neuron = Bound(dynamics, parameter, flags);
        bool readU = (flags & ReadPotential) != 0;
        foreach (long i in GridStride.Over(surrogate.Length))
        {
            float sg = surrogate[i];
            float gs = (flags & HasSpikeGrad) != 0 ? spikeGrad[i] : 0f;
            float gv = (flags & HasStateGrad) != 0 ? potentialGrad[i] : 0f;
            float u = readU ? potential[i] : 0f;
            float s = readU ? NeuronElements.Spike(neuron, u) : (flags & ReadSpikes) != 0 ? spikes[i] : 0f;
            float gu = NeuronElements.PotentialGradient(neuron, gs, gv, sg, u, s);
            float vPrev = readU && (flags & HasState) != 0 ? previousV[i] : 0f;
            if ((flags & WriteCurrentGrad) != 0) currentGrad[i] = gu * neuron.ChargeCurrentDerivative(vPrev);
            if ((flags & WritePreviousGrad) != 0) previousGrad[i] = gu * neuron.ChargeStateDerivative(vPrev);
            if ((flags & WriteParameterGrad) != 0) parameterGrad[i] = gu * neuron.ChargeParameterDerivative(vPrev);
        }
    }
}
