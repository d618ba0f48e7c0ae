using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU.Frontend;
using IlgpuSnn.Neurons;

namespace IlgpuSnn.Kernels;

/// <summary>
/// SIMD bodies of <see cref="HostAdaptiveNeuronKernels"/> for the built-in <see cref="AlifNeuron"/> with a built-in
/// surrogate, as <see cref="HostLifVector"/> is for the LIF family: <see cref="Vector{T}"/> lanes of neurons at a time,
/// the same float operations in the same order as the struct's scalar methods and
/// <see cref="NeuronElements.StepGradients{TNeuron}"/> (so everything but the sigmoid's σ' is bit-identical),
/// the sequences in blocks of neurons walked step by step. Each method does the whole vectors (the forward ones whole
/// pairs of vectors) of [start, end) and returns where it stopped; the kernel's scalar loop does the rest and every
/// other two-state neuron. The loops are compiled fully optimised at once and <see cref="AlifForm"/>'s methods inlined into them: left to
/// tiered compilation, StepGradients (too large for the default inliner) was a call per vector that ran unoptimised
/// for the first launches, which cost the sequence backward 3-4x (benchmarks/RESULTS.md).
/// </summary>
internal static unsafe class HostAdaptiveVector
{
    private const int Block = HostLifVector.Block;

    /// <summary>The sequence forward over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_alif_sequence")]
    internal static long Sequence<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate, long current, long spikes, long sigma,
        long potential, long state, long n, int steps, int flags, long start, long end)
        where TNeuron : struct, IAdaptiveNeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        if (!AlifForm.TryOf(neuron, out var alif)) return start;
        if (typeof(TSurrogate) == typeof(SigmoidSurrogate))
            return Sequence(alif, new SigmoidVector(HostLifVector.Alpha(surrogate)), current, spikes, sigma, potential, state, n, steps, flags, start, end);
        if (typeof(TSurrogate) == typeof(TriangleSurrogate))
            return Sequence(alif, new TriangleVector(HostLifVector.Alpha(surrogate)), current, spikes, sigma, potential, state, n, steps, flags, start, end);
        if (typeof(TSurrogate) == typeof(RectangleSurrogate))
            return Sequence(alif, new RectangleVector(HostLifVector.Alpha(surrogate)), current, spikes, sigma, potential, state, n, steps, flags, start, end);
        if (typeof(TSurrogate) == typeof(ATanSurrogate))
            return Sequence(alif, new ATanVector(HostLifVector.Alpha(surrogate)), current, spikes, sigma, potential, state, n, steps, flags, start, end);
        return start;
    }

    /// <summary>The step forward over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_alif_step")]
    internal static long Step<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate, long current, long previous, long spikes,
        long state, long sigma, long potential, long n, int flags, long start, long end)
        where TNeuron : struct, IAdaptiveNeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        if (!AlifForm.TryOf(neuron, out var alif)) return start;
        if (typeof(TSurrogate) == typeof(SigmoidSurrogate))
            return Step(alif, new SigmoidVector(HostLifVector.Alpha(surrogate)), current, previous, spikes, state, sigma, potential, n, flags, start, end);
        if (typeof(TSurrogate) == typeof(TriangleSurrogate))
            return Step(alif, new TriangleVector(HostLifVector.Alpha(surrogate)), current, previous, spikes, state, sigma, potential, n, flags, start, end);
        if (typeof(TSurrogate) == typeof(RectangleSurrogate))
            return Step(alif, new RectangleVector(HostLifVector.Alpha(surrogate)), current, previous, spikes, state, sigma, potential, n, flags, start, end);
        if (typeof(TSurrogate) == typeof(ATanSurrogate))
            return Step(alif, new ATanVector(HostLifVector.Alpha(surrogate)), current, previous, spikes, state, sigma, potential, n, flags, start, end);
        return start;
    }

    /// <summary>The sequence backward over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_alif_sequence_backward")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static long SequenceBackward<TNeuron>(TNeuron neuron, long spikeGrad, long sigma, long potential, long initial, long currentGrad,
        long n, int steps, int flags, long start, long end)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        if (!AlifForm.TryOf(neuron, out var alif)) return start;
        float* pgs = (float*)spikeGrad, pg = (float*)sigma, pu = (float*)potential, pv0 = (float*)initial, pgi = (float*)currentGrad;
        long plane = steps * n;
        bool hasInitial = (flags & NeuronFlags.HasState) != 0;
        float* carriedV = stackalloc float[Block];
        float* carriedA = stackalloc float[Block];
        long i = start;
        for (int length; (length = HostLifVector.BlockLength(i, end)) > 0; i += length)
        {
            for (int t = steps - 1; t >= 0; t--)
            {
                for (int j = 0; j < length; j += Vector<float>.Count)
                {
                    // ∂L/∂v[t] and ∂L/∂a[t+1], zero after the last step (the final state is detached)
                    bool last = t == steps - 1;
                    var gv = last ? Vector<float>.Zero : Vector.Load(carriedV + j);
                    var ga = last ? Vector<float>.Zero : Vector.Load(carriedA + j);
                    long k = t * n + i + j;
                    var u = Vector.Load(pu + k);
                    var a = Vector.Load(pu + plane + k);
                    var vPrev = Vector<float>.Zero;
                    if (t > 0)
                    {
                        var uPrev = Vector.Load(pu + k - n);
                        var aPrev = Vector.Load(pu + plane + k - n);
                        vPrev = alif.Reset(uPrev, alif.Spike(uPrev, aPrev), aPrev);
                    }
                    else if (hasInitial)
                    {
                        vPrev = Vector.Load(pv0 + i + j);
                    }
                    alif.StepGradients(Vector.Load(pgs + k), gv, ga, Vector.Load(pg + k), u, a, vPrev, out var gvPrev, out var gaPrev).Store(pgi + k);
                    gvPrev.Store(carriedV + j);
                    gaPrev.Store(carriedA + j);
                }
            }
        }
        return i;
    }

    /// <summary>The step backward over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_alif_step_backward")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static long StepBackward<TNeuron>(TNeuron neuron, long spikeGrad, long stateGrad, long sigma, long potential, long previous,
        long currentGrad, long previousGrad, long n, int flags, long start, long end)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        if (!AlifForm.TryOf(neuron, out var alif)) return start;
        float* pgs = (float*)spikeGrad, pgx = (float*)stateGrad, pg = (float*)sigma, pu = (float*)potential, pp = (float*)previous;
        float* pgi = (float*)currentGrad, pgprev = (float*)previousGrad;
        bool hasState = (flags & NeuronFlags.HasState) != 0, hasStateGrad = (flags & NeuronFlags.HasStateGrad) != 0;
        bool hasSpikeGrad = (flags & NeuronFlags.HasSpikeGrad) != 0;
        bool writeCurrent = (flags & NeuronFlags.WriteCurrentGrad) != 0, writePrevious = (flags & NeuronFlags.WritePreviousGrad) != 0;
        long i = start;
        for (; i + Vector<float>.Count <= end; i += Vector<float>.Count)
        {
            var vPrev = hasState ? Vector.Load(pp + i) : Vector<float>.Zero;
            var a = hasState ? Vector.Load(pp + n + i) : Vector<float>.Zero;
            var gs = hasSpikeGrad ? Vector.Load(pgs + i) : Vector<float>.Zero;
            var gv = hasStateGrad ? Vector.Load(pgx + i) : Vector<float>.Zero;
            var ga = hasStateGrad ? Vector.Load(pgx + n + i) : Vector<float>.Zero;
            var gi = alif.StepGradients(gs, gv, ga, Vector.Load(pg + i), Vector.Load(pu + i), a, vPrev, out var gvPrev, out var gaPrev);
            if (writeCurrent) gi.Store(pgi + i);
            if (writePrevious)
            {
                gvPrev.Store(pgprev + i);
                gaPrev.Store(pgprev + n + i);
            }
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Sequence<TVector>(AlifForm alif, TVector surrogate, long current, long spikes, long sigma, long potential, long state,
        long n, int steps, int flags, long start, long end) where TVector : struct, IVectorSurrogate
    {
        float* pc = (float*)current, ps = (float*)spikes, pg = (float*)sigma, pu = (float*)potential, pv = (float*)state;
        long plane = steps * n;
        bool hasState = (flags & NeuronFlags.HasState) != 0;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0, savePotential = (flags & NeuronFlags.SavePotential) != 0;
        float* carriedV = stackalloc float[Block];
        float* carriedA = stackalloc float[Block];
        int width = Vector<float>.Count;
        end = VectorSurrogates.PairsEnd(start, end);
        long i = start;
        for (int length; (length = HostLifVector.BlockLength(i, end)) > 0; i += length)
        {
            for (int t = 0; t < steps; t++)
            {
                var zBefore = Vector<float>.Zero;
                for (int j = 0; j < length; j += width)
                {
                    var v = t > 0 ? Vector.Load(carriedV + j) : hasState ? Vector.Load(pv + i + j) : Vector<float>.Zero;
                    var a = t > 0 ? Vector.Load(carriedA + j) : hasState ? Vector.Load(pv + n + i + j) : Vector<float>.Zero;
                    long k = t * n + i + j;
                    var u = alif.Decay * v + Vector.Load(pc + k);
                    var z = u - alif.Threshold(a);
                    var s = HostLifVector.Heaviside(z);
                    s.Store(ps + k);
                    if (saveSurrogate && (j & width) != 0) surrogate.Derivatives(zBefore, z, pg + k - width);
                    zBefore = z;
                    if (savePotential)
                    {
                        u.Store(pu + k);
                        a.Store(pu + plane + k);
                    }
                    alif.Reset(u, s, a).Store(carriedV + j);
                    alif.Adapt(a, s).Store(carriedA + j);
                }
            }
            if (hasState)
            {
                new Span<float>(carriedV, length).CopyTo(new Span<float>(pv + i, length));
                new Span<float>(carriedA, length).CopyTo(new Span<float>(pv + n + i, length));
            }
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Step<TVector>(AlifForm alif, TVector surrogate, long current, long previous, long spikes, long state, long sigma,
        long potential, long n, int flags, long start, long end) where TVector : struct, IVectorSurrogate
    {
        float* pc = (float*)current, pp = (float*)previous, ps = (float*)spikes, pv = (float*)state, pg = (float*)sigma, pu = (float*)potential;
        bool hasState = (flags & NeuronFlags.HasState) != 0;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0, savePotential = (flags & NeuronFlags.SavePotential) != 0;
        int width = Vector<float>.Count;
        end = VectorSurrogates.PairsEnd(start, end);
        var zBefore = Vector<float>.Zero;
        long i = start;
        for (; i < end; i += width)
        {
            var v = hasState ? Vector.Load(pp + i) : Vector<float>.Zero;
            var a = hasState ? Vector.Load(pp + n + i) : Vector<float>.Zero;
            var u = alif.Decay * v + Vector.Load(pc + i);
            var z = u - alif.Threshold(a);
            var s = HostLifVector.Heaviside(z);
            s.Store(ps + i);
            alif.Reset(u, s, a).Store(pv + i);
            alif.Adapt(a, s).Store(pv + n + i);
            if (saveSurrogate && ((i - start) & width) != 0) surrogate.Derivatives(zBefore, z, pg + i - width);
            zBefore = z;
            if (savePotential) u.Store(pu + i);
        }
        return i;
    }

    /// <summary><see cref="AlifNeuron"/>'s dynamics as vectors, written as its scalar methods are, operation for operation.</summary>
    private readonly struct AlifForm
    {
        private readonly Vector<float> threshold, strength, negativeStrength, adaptationDecay;
        private readonly bool hard, detach;

        private AlifForm(AlifNeuron neuron)
        {
            Decay = new Vector<float>(neuron.Decay);
            threshold = new Vector<float>(neuron.Threshold);
            strength = new Vector<float>(neuron.AdaptationStrength);
            negativeStrength = new Vector<float>(-neuron.AdaptationStrength);
            adaptationDecay = new Vector<float>(neuron.AdaptationDecay);
            hard = neuron.Hard != 0;
            detach = neuron.Detach != 0;
        }

        /// <summary>λ.</summary>
        public Vector<float> Decay { get; }

        /// <summary>The vector form of <paramref name="neuron"/>, when it is an <see cref="AlifNeuron"/> and vectors are accelerated.</summary>
        public static bool TryOf<TNeuron>(TNeuron neuron, out AlifForm form) where TNeuron : struct, IAdaptiveNeuronDynamics
        {
            form = default;
            if (!Vector.IsHardwareAccelerated || typeof(TNeuron) != typeof(AlifNeuron)) return false;
            form = new AlifForm(Unsafe.As<TNeuron, AlifNeuron>(ref neuron));
            return true;
        }

        /// <summary>θ + β·a.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Threshold(Vector<float> a) => threshold + strength * a;

        /// <summary>The spike of u under a.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Spike(Vector<float> u, Vector<float> a) => HostLifVector.Heaviside(u - Threshold(a));

        /// <summary><see cref="AlifNeuron.Reset"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Reset(Vector<float> u, Vector<float> s, Vector<float> a) =>
            hard ? u * (Vector<float>.One - s) : u - Threshold(a) * s;

        /// <summary><see cref="AlifNeuron.Adapt"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Adapt(Vector<float> a, Vector<float> s) => adaptationDecay * a + s;

        /// <summary><see cref="NeuronElements.StepGradients{TNeuron}"/> with <see cref="AlifNeuron"/>'s derivatives.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> StepGradients(Vector<float> gs, Vector<float> gv, Vector<float> ga, Vector<float> sg, Vector<float> u,
            Vector<float> a, Vector<float> vPrev, out Vector<float> gvPrev, out Vector<float> gaPrev)
        {
            var one = Vector<float>.One;
            var zero = Vector<float>.Zero;
            var s = Spike(u, a);
            var resetSpike = detach ? zero : hard ? -u : -Threshold(a);
            var gz = (gs + gv * resetSpike + ga * one) * sg;
            var resetPotential = hard ? one - s : one;
            var gu = gz + gv * resetPotential + ga * zero;
            var resetAuxiliary = hard ? zero : negativeStrength * s;
            gaPrev = gz * negativeStrength + gv * resetAuxiliary + ga * adaptationDecay + gu * zero;
            gvPrev = gu * Decay;
            return gu * one;
        }
    }
}
