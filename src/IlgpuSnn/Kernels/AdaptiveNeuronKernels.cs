using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using static IlgpuSnn.Kernels.NeuronFlags;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Forward and backward kernels of the two-state neurons (<see cref="IAdaptiveNeuronDynamics"/>), generic over the
/// neuron and the surrogate structs like <see cref="LifKernels"/>. A state tensor holds two planes of N: v at i and
/// a at N + i. The forward saves σ'[t], and for the backward u[t] [T, N] followed by the a each step started from
/// [T, N] (a [2, T, N] buffer); the backward recomputes s[t] and v[t−1] from them. Per step, going back in time with
/// the carried g_v = ∂L/∂v[t] and g_a = ∂L/∂a[t+1]:
/// g_z = (g_s + g_v·∂v'/∂s + g_a·∂a'/∂s)·σ', g_u = g_z + g_v·∂v'/∂u + g_a·∂a'/∂u,
/// g_a[t] = g_z·∂z/∂a + g_v·∂v'/∂a + g_a·∂a'/∂a + g_u·∂u/∂a, g_I = g_u·∂u/∂I, g_v[t−1] = g_u·∂u/∂v.
/// The CPU accelerator runs their host-pointer forms (<see cref="HostAdaptiveNeuronKernels"/>).
/// </summary>
internal static class AdaptiveNeuronKernels
{
    /// <summary>
    /// Runs T steps over N neurons: spikes [T, N]; optionally saves σ' [T, N] and (u, a) [2, T, N]; reads the state
    /// [2, N] when given and writes the final one back.
    /// </summary>
    public static void Sequence<TNeuron, TSurrogate>(Device device, ArrayView<float> current, ArrayView<float> spikes,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? state, long n, int steps,
        TNeuron neuron, TSurrogate surrogateFunction)
        where TNeuron : struct, IAdaptiveNeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        if (n == 0 || steps == 0) return;
        int flags = Forward(state.HasValue, surrogate.HasValue, potential.HasValue);
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, int, TNeuron, TSurrogate, int>(HostAdaptiveNeuronKernels.SequenceKernel<TNeuron, TSurrogate>)(
                device.Launch.GridStride(n), HostMemory.Address(current), HostMemory.Address(spikes), LifKernels.Address(surrogate),
                LifKernels.Address(potential), LifKernels.Address(state), n, steps, neuron, surrogateFunction, flags);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, int, TNeuron, TSurrogate, int>(
            SequenceKernel<TNeuron, TSurrogate>)(
            device.Launch.GridStride(n), current, spikes, surrogate ?? spikes, potential ?? spikes, state ?? spikes, n, steps,
            neuron, surrogateFunction, flags);
    }

    /// <summary>
    /// BPTT through T steps from the spike gradients [T, N], σ' and the saved (u, a) [2, T, N]; <paramref name="initial"/>
    /// is the state [2, N] before the first step (zeros when null). Writes g_I [T, N].
    /// </summary>
    public static void SequenceBackward<TNeuron>(Device device, ArrayView<float> spikeGrad, ArrayView<float> surrogate,
        ArrayView<float> potential, ArrayView<float>? initial, ArrayView<float> currentGrad, long n, int steps, TNeuron neuron)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        if (n == 0 || steps == 0) return;
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, int, TNeuron, int>(HostAdaptiveNeuronKernels.SequenceBackwardKernel<TNeuron>)(
                device.Launch.GridStride(n), HostMemory.Address(spikeGrad), HostMemory.Address(surrogate), HostMemory.Address(potential),
                LifKernels.Address(initial), HostMemory.Address(currentGrad), n, steps, neuron, initial.HasValue ? HasState : 0);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, int, TNeuron, int>(
            SequenceBackwardKernel<TNeuron>)(
            device.Launch.GridStride(n), spikeGrad, surrogate, potential, initial ?? surrogate, currentGrad, n, steps, neuron,
            initial.HasValue ? HasState : 0);
    }

    /// <summary>One step of N neurons from the state [2, N] (zeros when null) into <paramref name="state"/> [2, N]; optionally saves σ' and u [N].</summary>
    public static void Step<TNeuron, TSurrogate>(Device device, ArrayView<float> current, ArrayView<float>? previous,
        ArrayView<float> spikes, ArrayView<float> state, ArrayView<float>? surrogate, ArrayView<float>? potential,
        TNeuron neuron, TSurrogate surrogateFunction)
        where TNeuron : struct, IAdaptiveNeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        long n = current.Length;
        if (n == 0) return;
        int flags = Forward(previous.HasValue, surrogate.HasValue, potential.HasValue);
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, long, TNeuron, TSurrogate, int>(HostAdaptiveNeuronKernels.StepKernel<TNeuron, TSurrogate>)(
                device.Launch.GridStride(n), HostMemory.Address(current), LifKernels.Address(previous), HostMemory.Address(spikes),
                HostMemory.Address(state), LifKernels.Address(surrogate), LifKernels.Address(potential), n, neuron, surrogateFunction, flags);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, TNeuron, TSurrogate, int>(
            StepKernel<TNeuron, TSurrogate>)(
            device.Launch.GridStride(n), current, previous ?? current, spikes, state, surrogate ?? spikes, potential ?? spikes,
            neuron, surrogateFunction, flags);
    }

    /// <summary>
    /// One step back: from g_s [N] and g_state [2, N] (either may be missing), σ', u [N] and the previous state [2, N]
    /// (zeros when null) writes g_I [N] and/or g_previous [2, N].
    /// </summary>
    public static void StepBackward<TNeuron>(Device device, ArrayView<float>? spikeGrad, ArrayView<float>? stateGrad,
        ArrayView<float> surrogate, ArrayView<float> potential, ArrayView<float>? previous, ArrayView<float>? currentGrad,
        ArrayView<float>? previousGrad, TNeuron neuron)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        long n = surrogate.Length;
        if (n == 0) return;
        int flags = (previous.HasValue ? HasState : 0) | (spikeGrad.HasValue ? HasSpikeGrad : 0) | (stateGrad.HasValue ? HasStateGrad : 0)
            | (currentGrad.HasValue ? WriteCurrentGrad : 0) | (previousGrad.HasValue ? WritePreviousGrad : 0);
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, long, long, TNeuron, int>(HostAdaptiveNeuronKernels.StepBackwardKernel<TNeuron>)(
                device.Launch.GridStride(n), LifKernels.Address(spikeGrad), LifKernels.Address(stateGrad), HostMemory.Address(surrogate),
                HostMemory.Address(potential), LifKernels.Address(previous), LifKernels.Address(currentGrad), LifKernels.Address(previousGrad),
                n, neuron, flags);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, TNeuron, int>(
            StepBackwardKernel<TNeuron>)(
            device.Launch.GridStride(n), spikeGrad ?? surrogate, stateGrad ?? surrogate, surrogate, potential, previous ?? surrogate,
            currentGrad ?? surrogate, previousGrad ?? surrogate, n, neuron, flags);
    }

    [Kernel]
    internal static void SequenceKernel<TNeuron, TSurrogate>(ArrayView<float> current, ArrayView<float> spikes, ArrayView<float> surrogate,
        ArrayView<float> potential, ArrayView<float> state, long n, int steps, TNeuron neuron, TSurrogate surrogateFunction, int flags)
        where TNeuron : struct, IAdaptiveNeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        long plane = steps * n;
        foreach (long i in GridStride.Over(n))
        {
            bool hasState = (flags & HasState) != 0;
            float v = hasState ? state[i] : 0f;
            float a = hasState ? state[n + i] : 0f;
            for (int t = 0; t < steps; t++)
            {
                long k = t * n + i;
                var f = NeuronElements.Fire(neuron, v, a, current[k]);
                spikes[k] = f.S;
                if ((flags & SaveSurrogate) != 0) surrogate[k] = surrogateFunction.Derivative(f.Z);
                if ((flags & SavePotential) != 0)
                {
                    potential[k] = f.U;
                    potential[plane + k] = a;
                }
                v = f.V;
                a = f.A;
            }
            if (hasState)
            {
                state[i] = v;
                state[n + i] = a;
            }
        }
    }

    [Kernel]
    internal static void SequenceBackwardKernel<TNeuron>(ArrayView<float> spikeGrad, ArrayView<float> surrogate, ArrayView<float> potential,
        ArrayView<float> initial, ArrayView<float> currentGrad, long n, int steps, TNeuron neuron, int flags)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        long plane = steps * n;
        foreach (long i in GridStride.Over(n))
        {
            float gv = 0f, ga = 0f; // ∂L/∂v[t] and ∂L/∂a[t+1], zero after the last step (the final state is detached)
            for (int t = steps - 1; t >= 0; t--)
            {
                long k = t * n + i;
                float u = potential[k], a = potential[plane + k];
                float vPrev = 0f;
                if (t > 0)
                {
                    vPrev = NeuronElements.StateAfter(neuron, potential[k - n], potential[plane + k - n]);
                }
                else if ((flags & HasState) != 0)
                {
                    vPrev = initial[i];
                }
                float gvPrev, gaPrev;
                float gi = NeuronElements.StepGradients(neuron, spikeGrad[k], gv, ga, surrogate[k], u, a, vPrev, out gvPrev, out gaPrev);
                currentGrad[k] = gi;
                gv = gvPrev;
                ga = gaPrev;
            }
        }
    }

    [Kernel]
    internal static void StepKernel<TNeuron, TSurrogate>(ArrayView<float> current, ArrayView<float> previous, ArrayView<float> spikes,
        ArrayView<float> state, ArrayView<float> surrogate, ArrayView<float> potential, TNeuron neuron, TSurrogate surrogateFunction, int flags)
        where TNeuron : struct, IAdaptiveNeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        long n = current.Length;
        foreach (long i in GridStride.Over(n))
        {
            bool hasState = (flags & HasState) != 0;
            float v = hasState ? previous[i] : 0f;
            float a = hasState ? previous[n + i] : 0f;
            var f = NeuronElements.Fire(neuron, v, a, current[i]);
            spikes[i] = f.S;
            state[i] = f.V;
            state[n + i] = f.A;
            if ((flags & SaveSurrogate) != 0) surrogate[i] = surrogateFunction.Derivative(f.Z);
            if ((flags & SavePotential) != 0) potential[i] = f.U;
        }
    }

    [Kernel]
    internal static void StepBackwardKernel<TNeuron>(ArrayView<float> spikeGrad, ArrayView<float> stateGrad, ArrayView<float> surrogate,
        ArrayView<float> potential, ArrayView<float> previous, ArrayView<float> currentGrad, ArrayView<float> previousGrad,
        long n, TNeuron neuron, int flags)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        foreach (long i in GridStride.Over(n))
        {
            bool hasState = (flags & HasState) != 0, hasStateGrad = (flags & HasStateGrad) != 0;
            float vPrev = hasState ? previous[i] : 0f;
            float a = hasState ? previous[n + i] : 0f;
            float gs = (flags & HasSpikeGrad) != 0 ? spikeGrad[i] : 0f;
            float gv = hasStateGrad ? stateGrad[i] : 0f;
            float ga = hasStateGrad ? stateGrad[n + i] : 0f;
            float gvPrev, gaPrev;
            float gi = NeuronElements.StepGradients(neuron, gs, gv, ga, surrogate[i], potential[i], a, vPrev, out gvPrev, out gaPrev);
            if ((flags & WriteCurrentGrad) != 0) currentGrad[i] = gi;
            if ((flags & WritePreviousGrad) != 0)
            {
                previousGrad[i] = gvPrev;
                previousGrad[n + i] = gaPrev;
            }
        }
    }
}
