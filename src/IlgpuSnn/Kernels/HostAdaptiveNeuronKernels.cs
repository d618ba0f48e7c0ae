using ILGPU;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using static IlgpuSnn.Kernels.NeuronFlags;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of the two-state neuron kernels of <see cref="AdaptiveNeuronKernels"/> (sequence and
/// step, forward and backward): the same arithmetic per neuron (<see cref="NeuronElements"/>) in the same order (so the
/// results are identical), but each worker takes one contiguous share of the neurons and reads the buffers through host
/// pointers instead of ILGPU's view indexer (see <see cref="HostLifKernels"/>). Addresses of views a launch does not
/// use are 0 and guarded by the flags. GPUs, and the tests that switch host kernels off, run the portable kernels. The
/// built-in ALIF with a built-in surrogate runs whole SIMD vectors of neurons first (<see cref="HostAdaptiveVector"/>);
/// the scalar loop does the rest of a worker's share and every other two-state neuron (host pointers alone gained
/// nothing measurable).
/// </summary>
internal static class HostAdaptiveNeuronKernels
{
    /// <summary>The host form of <see cref="AdaptiveNeuronKernels.SequenceKernel{TNeuron, TSurrogate}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run AdaptiveNeuronKernels.SequenceKernel.")]
    internal static unsafe void SequenceKernel<TNeuron, TSurrogate>(long current, long spikes, long surrogate, long potential, long state,
        long n, int steps, TNeuron neuron, TSurrogate surrogateFunction, int flags)
        where TNeuron : struct, IAdaptiveNeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        (long start, long end) = GridStride.Chunk(n);
        float* pc = (float*)current, ps = (float*)spikes, pg = (float*)surrogate, pu = (float*)potential, pv = (float*)state;
        long plane = steps * n;
        bool hasState = (flags & HasState) != 0;
        bool saveSurrogate = (flags & SaveSurrogate) != 0, savePotential = (flags & SavePotential) != 0;
        long first = HostAdaptiveVector.Sequence(neuron, surrogateFunction, current, spikes, surrogate, potential, state, n, steps, flags, start, end);
        for (long i = first; i < end; i++)
        {
            float v = hasState ? pv[i] : 0f;
            float a = hasState ? pv[n + i] : 0f;
            for (int t = 0; t < steps; t++)
            {
                long k = t * n + i;
                var f = NeuronElements.Fire(neuron, v, a, pc[k]);
                ps[k] = f.S;
                if (saveSurrogate) pg[k] = surrogateFunction.Derivative(f.Z);
                if (savePotential)
                {
                    pu[k] = f.U;
                    pu[plane + k] = a;
                }
                v = f.V;
                a = f.A;
            }
            if (hasState)
            {
                pv[i] = v;
                pv[n + i] = a;
            }
        }
    }

    /// <summary>The host form of <see cref="AdaptiveNeuronKernels.SequenceBackwardKernel{TNeuron}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run AdaptiveNeuronKernels.SequenceBackwardKernel.")]
    internal static unsafe void SequenceBackwardKernel<TNeuron>(long spikeGrad, long surrogate, long potential, long initial, long currentGrad,
        long n, int steps, TNeuron neuron, int flags)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        (long start, long end) = GridStride.Chunk(n);
        float* pgs = (float*)spikeGrad, pg = (float*)surrogate, pu = (float*)potential, pv0 = (float*)initial, pgi = (float*)currentGrad;
        long plane = steps * n;
        bool hasInitial = (flags & HasState) != 0;
        long first = HostAdaptiveVector.SequenceBackward(neuron, spikeGrad, surrogate, potential, initial, currentGrad, n, steps, flags, start, end);
        for (long i = first; i < end; i++)
        {
            float gv = 0f, ga = 0f; // ∂L/∂v[t] and ∂L/∂a[t+1], zero after the last step (the final state is detached)
            for (int t = steps - 1; t >= 0; t--)
            {
                long k = t * n + i;
                float u = pu[k], a = pu[plane + k];
                float vPrev = 0f;
                if (t > 0)
                {
                    vPrev = NeuronElements.StateAfter(neuron, pu[k - n], pu[plane + k - n]);
                }
                else if (hasInitial)
                {
                    vPrev = pv0[i];
                }
                float gi = NeuronElements.StepGradients(neuron, pgs[k], gv, ga, pg[k], u, a, vPrev, out float gvPrev, out float gaPrev);
                pgi[k] = gi;
                gv = gvPrev;
                ga = gaPrev;
            }
        }
    }

    /// <summary>The host form of <see cref="AdaptiveNeuronKernels.StepKernel{TNeuron, TSurrogate}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run AdaptiveNeuronKernels.StepKernel.")]
    internal static unsafe void StepKernel<TNeuron, TSurrogate>(long current, long previous, long spikes, long state, long surrogate,
        long potential, long n, TNeuron neuron, TSurrogate surrogateFunction, int flags)
        where TNeuron : struct, IAdaptiveNeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        (long start, long end) = GridStride.Chunk(n);
        float* pc = (float*)current, pp = (float*)previous, ps = (float*)spikes, pv = (float*)state, pg = (float*)surrogate, pu = (float*)potential;
        bool hasState = (flags & HasState) != 0;
        bool saveSurrogate = (flags & SaveSurrogate) != 0, savePotential = (flags & SavePotential) != 0;
        long first = HostAdaptiveVector.Step(neuron, surrogateFunction, current, previous, spikes, state, surrogate, potential, n, flags, start, end);
        for (long i = first; i < end; i++)
        {
            float v = hasState ? pp[i] : 0f;
            float a = hasState ? pp[n + i] : 0f;
            var f = NeuronElements.Fire(neuron, v, a, pc[i]);
            ps[i] = f.S;
            pv[i] = f.V;
            pv[n + i] = f.A;
            if (saveSurrogate) pg[i] = surrogateFunction.Derivative(f.Z);
            if (savePotential) pu[i] = f.U;
        }
    }

    /// <summary>The host form of <see cref="AdaptiveNeuronKernels.StepBackwardKernel{TNeuron}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run AdaptiveNeuronKernels.StepBackwardKernel.")]
    internal static unsafe void StepBackwardKernel<TNeuron>(long spikeGrad, long stateGrad, long surrogate, long potential, long previous,
        long currentGrad, long previousGrad, long n, TNeuron neuron, int flags)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        (long start, long end) = GridStride.Chunk(n);
        float* pgs = (float*)spikeGrad, pgx = (float*)stateGrad, pg = (float*)surrogate, pu = (float*)potential, pp = (float*)previous;
        float* pgi = (float*)currentGrad, pgprev = (float*)previousGrad;
        bool hasState = (flags & HasState) != 0, hasStateGrad = (flags & HasStateGrad) != 0, hasSpikeGrad = (flags & HasSpikeGrad) != 0;
        bool writeCurrent = (flags & WriteCurrentGrad) != 0, writePrevious = (flags & WritePreviousGrad) != 0;
        long first = HostAdaptiveVector.StepBackward(neuron, spikeGrad, stateGrad, surrogate, potential, previous, currentGrad, previousGrad, n, flags,
            start, end);
        for (long i = first; i < end; i++)
        {
            float vPrev = hasState ? pp[i] : 0f;
            float a = hasState ? pp[n + i] : 0f;
            float gs = hasSpikeGrad ? pgs[i] : 0f;
            float gv = hasStateGrad ? pgx[i] : 0f;
            float ga = hasStateGrad ? pgx[n + i] : 0f;
            float gi = NeuronElements.StepGradients(neuron, gs, gv, ga, pg[i], pu[i], a, vPrev, out float gvPrev, out float gaPrev);
            if (writeCurrent) pgi[i] = gi;
            if (writePrevious)
            {
                pgprev[i] = gvPrev;
                pgprev[n + i] = gaPrev;
            }
        }
    }
}
