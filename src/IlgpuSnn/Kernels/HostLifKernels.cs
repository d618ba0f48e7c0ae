using ILGPU;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of the one-state neuron kernels of <see cref="LifKernels"/> and
/// <see cref="LifBackwardKernels"/> (sequence and step, forward and backward): the same arithmetic per neuron
/// (<see cref="NeuronElements"/>), in the same order (so the results are identical), but each worker takes one
/// contiguous share of the neurons and reads the buffers through host pointers instead of ILGPU's view indexer, which
/// costs several times a plain access on the CPU (benchmarks/RESULTS.md). Addresses of views a launch does not use are
/// 0 and guarded by the flags of the portable kernels. GPUs, and the tests that switch host kernels off, run the
/// portable kernels. The built-in LIF family with a built-in surrogate runs whole SIMD vectors of neurons first
/// (<see cref="HostLifVector"/>); the scalar loop does the rest of a worker's share and every other neuron or surrogate.
/// </summary>
internal static class HostLifKernels
{
    /// <summary>The host form of <see cref="LifKernels.SequenceKernel{TNeuron, TSurrogate}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run LifKernels.SequenceKernel.")]
    internal static unsafe void SequenceKernel<TNeuron, TSurrogate>(long current, long spikes, long surrogate, long potential, long state,
        long parameter, long n, int steps, TNeuron dynamics, TSurrogate surrogateFunction, int flags, long table, ChannelNormalization normalization)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        TNeuron neuron = NeuronFlags.Bound(dynamics, parameter, flags);
        (long start, long end) = GridStride.Chunk(n);
        float* pc = (float*)current, ps = (float*)spikes, pg = (float*)surrogate, pu = (float*)potential, pv = (float*)state, pt = (float*)table;
        bool hasState = (flags & NeuronFlags.HasState) != 0;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0, savePotential = (flags & NeuronFlags.SavePotential) != 0;
        long first = HostLifVector.Sequence(neuron, surrogateFunction, current, spikes, surrogate, potential, state, n, steps, flags, start, end, table, normalization);
        for (long i = first; i < end; i++)
        {
            float v = hasState ? pv[i] : 0f;
            for (int t = 0; t < steps; t++)
            {
                long k = t * n + i;
                var f = NeuronElements.Fire(neuron, v, normalization.Current(pt, i, pc[k]));
                ps[k] = f.S;
                if (saveSurrogate) pg[k] = surrogateFunction.Derivative(f.Z);
                if (savePotential) pu[k] = f.U;
                v = f.V;
            }
            if (hasState) pv[i] = v;
        }
    }

    /// <summary>The host form of <see cref="LifKernels.StepKernel{TNeuron, TSurrogate}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run LifKernels.StepKernel.")]
    internal static unsafe void StepKernel<TNeuron, TSurrogate>(long current, long previousV, long spikes, long v, long surrogate, long potential,
        long parameter, long n, TNeuron dynamics, TSurrogate surrogateFunction, int flags, long previousTrace, long trace, float traceDecay)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        TNeuron neuron = NeuronFlags.Bound(dynamics, parameter, flags);
        (long start, long end) = GridStride.Chunk(n);
        float* pc = (float*)current, pp = (float*)previousV, ps = (float*)spikes, pv = (float*)v, pg = (float*)surrogate, pu = (float*)potential;
        float* pta = (float*)previousTrace, ptb = (float*)trace;
        bool hasState = (flags & NeuronFlags.HasState) != 0;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0, savePotential = (flags & NeuronFlags.SavePotential) != 0;
        bool writeTrace = (flags & NeuronFlags.WriteTrace) != 0;
        long first = HostLifVector.Step(neuron, surrogateFunction, current, previousV, spikes, v, surrogate, potential, flags, start, end,
            previousTrace, trace, traceDecay);
        for (long i = first; i < end; i++)
        {
            var f = NeuronElements.Fire(neuron, hasState ? pp[i] : 0f, pc[i]);
            ps[i] = f.S;
            pv[i] = f.V;
            if (saveSurrogate) pg[i] = surrogateFunction.Derivative(f.Z);
            if (savePotential) pu[i] = f.U;
            if (writeTrace) ptb[i] = NeuronElements.NextTrace(traceDecay, pta[i], f.S);
        }
    }

    /// <summary>The host form of <see cref="LifBackwardKernels.SequenceBackwardKernel{TNeuron}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run LifBackwardKernels.SequenceBackwardKernel.")]
    internal static unsafe void SequenceBackwardKernel<TNeuron>(long spikeGrad, long surrogate, long spikes, long potential, long initial,
        long currentGrad, long parameterGrad, long parameter, long n, int steps, TNeuron dynamics, int flags)
        where TNeuron : struct, INeuronDynamics
    {
        TNeuron neuron = NeuronFlags.Bound(dynamics, parameter, flags);
        (long start, long end) = GridStride.Chunk(n);
        float* pgs = (float*)spikeGrad, pg = (float*)surrogate, ps = (float*)spikes, pu = (float*)potential, pv0 = (float*)initial;
        float* pgi = (float*)currentGrad, pgp = (float*)parameterGrad;
        bool readU = (flags & NeuronFlags.ReadPotential) != 0, readS = (flags & NeuronFlags.ReadSpikes) != 0;
        bool hasInitial = (flags & NeuronFlags.HasState) != 0, writeParameter = (flags & NeuronFlags.WriteParameterGrad) != 0;
        long first = HostLifVector.SequenceBackward(neuron, spikeGrad, surrogate, spikes, potential, initial, currentGrad, parameterGrad, n, steps, flags, start, end);
        for (long i = first; i < end; i++)
        {
            float gv = 0f; // ∂L/∂v[t], carried from step t+1 (zero after the last step: v[T] is detached)
            float gp = 0f;
            for (int t = steps - 1; t >= 0; t--)
            {
                long k = t * n + i;
                float sg = pg[k];
                float u = readU ? pu[k] : 0f;
                float s = readU ? NeuronElements.Spike(neuron, u) : readS ? ps[k] : 0f;
                float gu = NeuronElements.PotentialGradient(neuron, pgs[k], gv, sg, u, s);
                float vPrev = 0f;
                if (readU && t > 0)
                {
                    vPrev = NeuronElements.StateAfter(neuron, pu[k - n]);
                }
                else if (readU && hasInitial)
                {
                    vPrev = pv0[i];
                }
                pgi[k] = gu * neuron.ChargeCurrentDerivative(vPrev);
                gp += gu * neuron.ChargeParameterDerivative(vPrev);
                gv = gu * neuron.ChargeStateDerivative(vPrev);
            }
            if (writeParameter) pgp[i] = gp;
        }
    }

    /// <summary>The host form of <see cref="LifBackwardKernels.StepBackwardKernel{TNeuron}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run LifBackwardKernels.StepBackwardKernel.")]
    internal static unsafe void StepBackwardKernel<TNeuron>(long spikeGrad, long potentialGrad, long surrogate, long spikes, long potential,
        long previousV, long currentGrad, long previousGrad, long parameterGrad, long parameter, long n, TNeuron dynamics, int flags)
        where TNeuron : struct, INeuronDynamics
    {
        TNeuron neuron = NeuronFlags.Bound(dynamics, parameter, flags);
        (long start, long end) = GridStride.Chunk(n);
        float* pgs = (float*)spikeGrad, pgv = (float*)potentialGrad, pg = (float*)surrogate, ps = (float*)spikes, pu = (float*)potential;
        float* pvp = (float*)previousV, pgi = (float*)currentGrad, pgprev = (float*)previousGrad, pgp = (float*)parameterGrad;
        bool readU = (flags & NeuronFlags.ReadPotential) != 0, readS = (flags & NeuronFlags.ReadSpikes) != 0;
        bool hasSpikeGrad = (flags & NeuronFlags.HasSpikeGrad) != 0, hasPotentialGrad = (flags & NeuronFlags.HasStateGrad) != 0;
        bool hasInitial = (flags & NeuronFlags.HasState) != 0;
        bool writeCurrent = (flags & NeuronFlags.WriteCurrentGrad) != 0, writePrevious = (flags & NeuronFlags.WritePreviousGrad) != 0;
        bool writeParameter = (flags & NeuronFlags.WriteParameterGrad) != 0;
        long first = HostLifVector.StepBackward(neuron, spikeGrad, potentialGrad, surrogate, spikes, potential, previousV, currentGrad, previousGrad,
            parameterGrad, flags, start, end);
        for (long i = first; i < end; i++)
        {
            float sg = pg[i];
            float gs = hasSpikeGrad ? pgs[i] : 0f;
            float gv = hasPotentialGrad ? pgv[i] : 0f;
            float u = readU ? pu[i] : 0f;
            float s = readU ? NeuronElements.Spike(neuron, u) : readS ? ps[i] : 0f;
            float gu = NeuronElements.PotentialGradient(neuron, gs, gv, sg, u, s);
            float vPrev = readU && hasInitial ? pvp[i] : 0f;
            if (writeCurrent) pgi[i] = gu * neuron.ChargeCurrentDerivative(vPrev);
            if (writePrevious) pgprev[i] = gu * neuron.ChargeStateDerivative(vPrev);
            if (writeParameter) pgp[i] = gu * neuron.ChargeParameterDerivative(vPrev);
        }
    }

    /// <summary>The host form of <see cref="LifKernels.RateStatisticsKernel{TNeuron, TSurrogate}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run LifKernels.RateStatisticsKernel.")]
    internal static unsafe void RateStatisticsKernel<TNeuron, TSurrogate>(long current, long spikes, long potential, long recursion, long spikeSum,
        long eligibilitySum, long n, int steps, TNeuron neuron, TSurrogate surrogateFunction)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        (long start, long end) = GridStride.Chunk(n);
        long first = HostLifVector.RateStatistics(neuron, surrogateFunction, current, spikes, potential, recursion, spikeSum, eligibilitySum, n, steps, start, end);
        float* pc = (float*)current, ps = (float*)spikes, pv = (float*)potential, pe = (float*)recursion, pss = (float*)spikeSum, pse = (float*)eligibilitySum;
        for (long i = first; i < end; i++)
        {
            float v = pv[i], e = pe[i], sumS = pss[i], sumE = pse[i];
            for (int t = 0; t < steps; t++)
            {
                long k = t * n + i;
                ps[k] = NeuronElements.RateStep(neuron, surrogateFunction, pc[k], ref v, ref e, ref sumS, ref sumE);
            }
            pv[i] = v;
            pe[i] = e;
            pss[i] = sumS;
            pse[i] = sumE;
        }
    }
}
