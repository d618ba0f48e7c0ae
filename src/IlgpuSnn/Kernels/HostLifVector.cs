using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU.Frontend;
using IlgpuSnn.Neurons;

namespace IlgpuSnn.Kernels;

/// <summary>
/// SIMD bodies of <see cref="HostLifKernels"/> for the built-in LIF family (<see cref="LifNeuron"/>, <see cref="PlifNeuron"/>)
/// with a built-in surrogate (sigmoid, triangle, rectangle, atan): <see cref="Vector{T}"/> lanes of neurons at a
/// time, the same float operations in the same order as the structs' scalar methods, so spikes, potentials, states and
/// every value that does not pass through an exponential are bit-identical to the scalar kernels. The sigmoid's σ'
/// uses <see cref="VectorMath.Exp"/> instead of <see cref="MathF.Exp"/>: within 1 ulp of the exact exponential (as
/// MathF.Exp is), so σ' may differ from the scalar kernels' by a few ulp (tests bound both).
/// Each method does the whole vectors of a worker's share [start, end) and returns where it stopped; the kernel runs
/// the rest (and everything for other neurons and surrogates, or where vectors are not hardware-accelerated) through
/// the generic scalar loop. Marked <see cref="ExternalAttribute"/>: ILGPU's frontend treats them as opaque, the CPU
/// accelerator calls them as ordinary .NET code; GPUs never reach them.
/// Why it pays (benchmarks/RESULTS.md): the scalar loop costs far more per element than its arithmetic (a
/// data-dependent branch for the spike, a call to expf that spills every register, loads strided by N across the T
/// planes); a vector handles that many neurons per pass with the spike as a mask.
/// </summary>
internal static unsafe class HostLifVector
{
    /// <summary>
    /// Neurons per block of the sequence kernels, which walk each block time step by time step (contiguous runs of
    /// every [T, N] plane) with the carried state in a stack buffer, instead of each neuron's T elements N apart.
    /// </summary>
    internal const int Block = 512;

    /// <summary>The sequence forward (see <see cref="HostLifKernels.SequenceKernel{TNeuron, TSurrogate}"/>) over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_lif_sequence")]
    internal static long Sequence<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate, long current, long spikes, long sigma,
        long potential, long state, long n, int steps, int flags, long start, long end, long table, ChannelNormalization normalization)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        if (!LifForm.TryOf(neuron, out var lif)) return start;
        var input = new InputForm(table, normalization);
        if (typeof(TSurrogate) == typeof(SigmoidSurrogate))
            return Sequence(lif, new SigmoidVector(Alpha(surrogate)), input, current, spikes, sigma, potential, state, n, steps, flags, start, end);
        if (typeof(TSurrogate) == typeof(TriangleSurrogate))
            return Sequence(lif, new TriangleVector(Alpha(surrogate)), input, current, spikes, sigma, potential, state, n, steps, flags, start, end);
        if (typeof(TSurrogate) == typeof(RectangleSurrogate))
            return Sequence(lif, new RectangleVector(Alpha(surrogate)), input, current, spikes, sigma, potential, state, n, steps, flags, start, end);
        if (typeof(TSurrogate) == typeof(ATanSurrogate))
            return Sequence(lif, new ATanVector(Alpha(surrogate)), input, current, spikes, sigma, potential, state, n, steps, flags, start, end);
        return start;
    }

    /// <summary>The step forward (see <see cref="HostLifKernels.StepKernel{TNeuron, TSurrogate}"/>) over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_lif_step")]
    internal static long Step<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate, long current, long previousV, long spikes,
        long v, long sigma, long potential, int flags, long start, long end, long previousTrace, long trace, float traceDecay)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        if (!LifForm.TryOf(neuron, out var lif)) return start;
        var traces = new VectorTrace(previousTrace, trace, traceDecay, (flags & NeuronFlags.WriteTrace) != 0);
        if (typeof(TSurrogate) == typeof(SigmoidSurrogate))
            return Step(lif, new SigmoidVector(Alpha(surrogate)), current, previousV, spikes, v, sigma, potential, flags, start, end, traces);
        if (typeof(TSurrogate) == typeof(TriangleSurrogate))
            return Step(lif, new TriangleVector(Alpha(surrogate)), current, previousV, spikes, v, sigma, potential, flags, start, end, traces);
        if (typeof(TSurrogate) == typeof(RectangleSurrogate))
            return Step(lif, new RectangleVector(Alpha(surrogate)), current, previousV, spikes, v, sigma, potential, flags, start, end, traces);
        if (typeof(TSurrogate) == typeof(ATanSurrogate))
            return Step(lif, new ATanVector(Alpha(surrogate)), current, previousV, spikes, v, sigma, potential, flags, start, end, traces);
        return start;
    }

    /// <summary>The sequence backward (see <see cref="HostLifKernels.SequenceBackwardKernel{TNeuron}"/>) over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_lif_sequence_backward")]
    internal static long SequenceBackward<TNeuron>(TNeuron neuron, long spikeGrad, long sigma, long spikes, long potential, long initial,
        long currentGrad, long parameterGrad, long n, int steps, int flags, long start, long end)
        where TNeuron : struct, INeuronDynamics
    {
        if (!LifForm.TryOf(neuron, out var lif)) return start;
        float* pgs = (float*)spikeGrad, pg = (float*)sigma, ps = (float*)spikes, pu = (float*)potential, pv0 = (float*)initial;
        float* pgi = (float*)currentGrad, pgp = (float*)parameterGrad;
        bool readU = (flags & NeuronFlags.ReadPotential) != 0, readS = (flags & NeuronFlags.ReadSpikes) != 0;
        bool hasInitial = (flags & NeuronFlags.HasState) != 0, writeParameter = (flags & NeuronFlags.WriteParameterGrad) != 0;
        float* carriedGrad = stackalloc float[Block];
        float* parameterSum = stackalloc float[Block];
        long i = start;
        for (int length; (length = BlockLength(i, end)) > 0; i += length)
        {
            for (int t = steps - 1; t >= 0; t--)
            {
                long plane = t * n + i;
                for (int j = 0; j < length; j += Vector<float>.Count)
                {
                    // ∂L/∂v[t] and Σ g_u·∂u/∂θ carried from step t+1 (zero after the last step: v[T] is detached)
                    bool last = t == steps - 1;
                    var gv = last ? Vector<float>.Zero : Vector.Load(carriedGrad + j);
                    var gp = last ? Vector<float>.Zero : Vector.Load(parameterSum + j);
                    long k = plane + j;
                    var sg = Vector.Load(pg + k);
                    var u = readU ? Vector.Load(pu + k) : Vector<float>.Zero;
                    var s = readU ? lif.Spike(u) : readS ? Vector.Load(ps + k) : Vector<float>.Zero;
                    var gu = Vector.Load(pgs + k) * sg + gv * lif.ResetDerivative(u, s, sg);
                    var vPrev = Vector<float>.Zero;
                    if (readU && t > 0)
                    {
                        var uPrev = Vector.Load(pu + k - n);
                        vPrev = lif.Reset(uPrev, lif.Spike(uPrev));
                    }
                    else if (readU && hasInitial)
                    {
                        vPrev = Vector.Load(pv0 + i + j);
                    }
                    (gu * Vector<float>.One).Store(pgi + k);
                    (gp + gu * lif.ParameterDerivative(vPrev)).Store(parameterSum + j);
                    (gu * lif.Decay).Store(carriedGrad + j);
                }
            }
            if (writeParameter) new Span<float>(parameterSum, length).CopyTo(new Span<float>(pgp + i, length));
        }
        return i;
    }

    /// <summary>RateBP's statistics pass (see <see cref="HostLifKernels.RateStatisticsKernel{TNeuron, TSurrogate}"/>) over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_rate_statistics")]
    internal static long RateStatistics<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate, long current, long spikes, long potential,
        long recursion, long spikeSum, long eligibilitySum, long n, int steps, long start, long end)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        if (!LifForm.TryOf(neuron, out var lif)) return start;
        if (typeof(TSurrogate) == typeof(SigmoidSurrogate))
            return RateStatistics(lif, new SigmoidVector(Alpha(surrogate)), current, spikes, potential, recursion, spikeSum, eligibilitySum, n, steps, start, end);
        if (typeof(TSurrogate) == typeof(TriangleSurrogate))
            return RateStatistics(lif, new TriangleVector(Alpha(surrogate)), current, spikes, potential, recursion, spikeSum, eligibilitySum, n, steps, start, end);
        if (typeof(TSurrogate) == typeof(RectangleSurrogate))
            return RateStatistics(lif, new RectangleVector(Alpha(surrogate)), current, spikes, potential, recursion, spikeSum, eligibilitySum, n, steps, start, end);
        if (typeof(TSurrogate) == typeof(ATanSurrogate))
            return RateStatistics(lif, new ATanVector(Alpha(surrogate)), current, spikes, potential, recursion, spikeSum, eligibilitySum, n, steps, start, end);
        return start;
    }

    private static long RateStatistics<TVector>(LifForm lif, TVector surrogate, long current, long spikes, long potential,
        long recursion, long spikeSum, long eligibilitySum, long n, int steps, long start, long end)
        where TVector : struct, IVectorSurrogate
    {
        float* pc = (float*)current, ps = (float*)spikes, pv = (float*)potential, pe = (float*)recursion;
        float* pss = (float*)spikeSum, pse = (float*)eligibilitySum;
        long i = start;
        for (; i + Vector<float>.Count <= end; i += Vector<float>.Count)
        {
            var v = Vector.Load(pv + i);
            var e = Vector.Load(pe + i);
            var sumS = Vector.Load(pss + i);
            var sumE = Vector.Load(pse + i);
            for (int t = 0; t < steps; t++)
            {
                long k = (t * n) + i;
                var u = (lif.Decay * v) + Vector.Load(pc + k);
                var z = u - lif.Threshold;
                var s = Heaviside(z);
                var sg = surrogate.Derivative(z);
                s.Store(ps + k);
                sumS += s;
                sumE += sg * e;
                v = lif.Reset(u, s);
                e = Vector<float>.One + (e * lif.Decay * lif.ResetDerivative(u, s, sg));
            }
            v.Store(pv + i);
            e.Store(pe + i);
            sumS.Store(pss + i);
            sumE.Store(pse + i);
        }
        return i;
    }

    /// <summary>The step backward (see <see cref="HostLifKernels.StepBackwardKernel{TNeuron}"/>) over whole vectors of [start, end).</summary>
    [External("ilgpusnn_host_lif_step_backward")]
    internal static long StepBackward<TNeuron>(TNeuron neuron, long spikeGrad, long potentialGrad, long sigma, long spikes, long potential,
        long previousV, long currentGrad, long previousGrad, long parameterGrad, int flags, long start, long end)
        where TNeuron : struct, INeuronDynamics
    {
        if (!LifForm.TryOf(neuron, out var lif)) return start;
        float* pgs = (float*)spikeGrad, pgv = (float*)potentialGrad, pg = (float*)sigma, ps = (float*)spikes, pu = (float*)potential;
        float* pvp = (float*)previousV, pgi = (float*)currentGrad, pgprev = (float*)previousGrad, pgp = (float*)parameterGrad;
        bool readU = (flags & NeuronFlags.ReadPotential) != 0, readS = (flags & NeuronFlags.ReadSpikes) != 0;
        bool hasSpikeGrad = (flags & NeuronFlags.HasSpikeGrad) != 0, hasPotentialGrad = (flags & NeuronFlags.HasStateGrad) != 0;
        bool hasInitial = (flags & NeuronFlags.HasState) != 0;
        bool writeCurrent = (flags & NeuronFlags.WriteCurrentGrad) != 0, writePrevious = (flags & NeuronFlags.WritePreviousGrad) != 0;
        bool writeParameter = (flags & NeuronFlags.WriteParameterGrad) != 0;
        int width = Vector<float>.Count;
        long i = start;
        for (; i + width <= end; i += width)
        {
            var sg = Vector.Load(pg + i);
            var gs = hasSpikeGrad ? Vector.Load(pgs + i) : Vector<float>.Zero;
            var gv = hasPotentialGrad ? Vector.Load(pgv + i) : Vector<float>.Zero;
            var u = readU ? Vector.Load(pu + i) : Vector<float>.Zero;
            var s = readU ? lif.Spike(u) : readS ? Vector.Load(ps + i) : Vector<float>.Zero;
            var gu = gs * sg + gv * lif.ResetDerivative(u, s, sg);
            var vPrev = readU && hasInitial ? Vector.Load(pvp + i) : Vector<float>.Zero;
            if (writeCurrent) (gu * Vector<float>.One).Store(pgi + i);
            if (writePrevious) (gu * lif.Decay).Store(pgprev + i);
            if (writeParameter) (gu * lif.ParameterDerivative(vPrev)).Store(pgp + i);
        }
        return i;
    }

    private static long Sequence<TVector>(LifForm lif, TVector surrogate, InputForm input, long current, long spikes, long sigma, long potential, long state,
        long n, int steps, int flags, long start, long end) where TVector : struct, IVectorSurrogate
    {
        float* pc = (float*)current, ps = (float*)spikes, pg = (float*)sigma, pu = (float*)potential, pv = (float*)state;
        bool hasState = (flags & NeuronFlags.HasState) != 0;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0, savePotential = (flags & NeuronFlags.SavePotential) != 0;
        float* carried = stackalloc float[Block];
        // The block's per-neuron normalisation values (a neuron's channel is the same at every step): per vector of
        // neurons its μ, ρ, γ and β vectors side by side.
        int width = Vector<float>.Count;
        float* values = stackalloc float[input.Enabled ? InputForm.Values * Block : 0];
        // σ' is computed for pairs of vectors (16 lanes where the CPU has 512-bit vectors: the exponential, not memory,
        // bounds this loop), so the vector part ends at whole pairs and every block holds whole pairs.
        end = VectorSurrogates.PairsEnd(start, end);
        long i = start;
        for (int length; (length = BlockLength(i, end)) > 0; i += length)
        {
            if (input.Enabled) input.Expand(i, length, values);
            for (int t = 0; t < steps; t++)
            {
                long plane = t * n + i;
                var zBefore = Vector<float>.Zero;
                for (int j = 0; j < length; j += width)
                {
                    var v = t > 0 ? Vector.Load(carried + j) : hasState ? Vector.Load(pv + i + j) : Vector<float>.Zero;
                    long k = plane + j;
                    var x = Vector.Load(pc + k);
                    if (input.Enabled)
                    {
                        float* value = values + InputForm.Values * j;
                        x = Vector.Load(value + 2 * width) * ((x - Vector.Load(value)) * Vector.Load(value + width)) + Vector.Load(value + 3 * width);
                    }
                    var u = lif.Decay * v + x;
                    var z = u - lif.Threshold;
                    var s = Heaviside(z);
                    s.Store(ps + k);
                    if (saveSurrogate && (j & width) != 0) surrogate.Derivatives(zBefore, z, pg + k - width);
                    zBefore = z;
                    if (savePotential) u.Store(pu + k);
                    lif.Reset(u, s).Store(carried + j);
                }
            }
            if (hasState) new Span<float>(carried, length).CopyTo(new Span<float>(pv + i, length));
        }
        return i;
    }

    private static long Step<TVector>(LifForm lif, TVector surrogate, long current, long previousV, long spikes, long v, long sigma,
        long potential, int flags, long start, long end, VectorTrace traces) where TVector : struct, IVectorSurrogate
    {
        float* pta = traces.Previous, ptb = traces.Next;
        var traceDecay = new Vector<float>(traces.Decay);
        float* pc = (float*)current, pp = (float*)previousV, ps = (float*)spikes, pv = (float*)v, pg = (float*)sigma, pu = (float*)potential;
        bool hasState = (flags & NeuronFlags.HasState) != 0;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0, savePotential = (flags & NeuronFlags.SavePotential) != 0;
        int width = Vector<float>.Count;
        end = VectorSurrogates.PairsEnd(start, end);
        var zBefore = Vector<float>.Zero;
        long i = start;
        for (; i < end; i += width)
        {
            var previous = hasState ? Vector.Load(pp + i) : Vector<float>.Zero;
            var u = lif.Decay * previous + Vector.Load(pc + i);
            var z = u - lif.Threshold;
            var s = Heaviside(z);
            s.Store(ps + i);
            lif.Reset(u, s).Store(pv + i);
            if (saveSurrogate && ((i - start) & width) != 0) surrogate.Derivatives(zBefore, z, pg + i - width);
            zBefore = z;
            if (savePotential) u.Store(pu + i);
            if (traces.Write) (traceDecay * Vector.Load(pta + i) + s).Store(ptb + i);
        }
        return i;
    }

    /// <summary>
    /// The optional trace operand of <see cref="Step{TVector}"/>: where a step writes â = λ·â_prev + s
    /// (<see cref="NeuronElements.NextTrace"/>, the same two float operations per lane) when <see cref="Write"/>.
    /// </summary>
    private readonly struct VectorTrace(long previous, long next, float decay, bool write)
    {
        public float* Previous { get; } = (float*)previous;
        public float* Next { get; } = (float*)next;
        public float Decay { get; } = decay;
        public bool Write { get; } = write;
    }

    /// <summary>
    /// The length of the block of neurons from <paramref name="i"/>: whole vectors, at most <see cref="Block"/>, 0 when
    /// less than a vector is left.
    /// </summary>
    internal static int BlockLength(long i, long end) =>
        (int)Math.Min(Block, (end - i) / Vector<float>.Count * Vector<float>.Count);

    /// <summary>H(z): 1 where z ≥ 0, else 0 (NaN gives 0, as the scalar <c>z &gt;= 0f ? 1f : 0f</c>).</summary>
    internal static Vector<float> Heaviside(Vector<float> z) =>
        Vector.ConditionalSelect(Vector.GreaterThanOrEqual(z, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero);

    /// <summary>The shape parameter α of a built-in surrogate struct (the caller has checked the type).</summary>
    internal static float Alpha<TSurrogate>(TSurrogate surrogate) where TSurrogate : struct, ISurrogateGradient
    {
        if (typeof(TSurrogate) == typeof(SigmoidSurrogate)) return Unsafe.As<TSurrogate, SigmoidSurrogate>(ref surrogate).Alpha;
        if (typeof(TSurrogate) == typeof(TriangleSurrogate)) return Unsafe.As<TSurrogate, TriangleSurrogate>(ref surrogate).Alpha;
        if (typeof(TSurrogate) == typeof(RectangleSurrogate)) return Unsafe.As<TSurrogate, RectangleSurrogate>(ref surrogate).Alpha;
        return Unsafe.As<TSurrogate, ATanSurrogate>(ref surrogate).Alpha;
    }

    /// <summary>
    /// The sequence kernels' input: the current itself, or BatchNorm's x normalised per channel (see
    /// <see cref="ChannelNormalization"/>; the vector loop does <see cref="NeuronElements.Normalize"/>'s operations in its order).
    /// </summary>
    private readonly struct InputForm(long table, ChannelNormalization layout)
    {
        /// <summary>Values per neuron: μ, ρ, γ, β.</summary>
        public const int Values = 4;

        public bool Enabled => layout.Enabled;

        /// <summary>
        /// The normalisation values of neurons [i, i + length) of a step (length a multiple of the vector width W): for
        /// the vector of neurons from q, μ at values[4q .. 4q + W), then ρ, γ and β, one vector each. A vector within one
        /// channel gets the channel's values broadcast, one of consecutive channels (S = 1) the table's vectors, others
        /// lane by lane; this costs a few operations per vector of neurons, shared by the T steps. Optimised from the first
        /// call: it runs thousands of times per launch, too briefly for tiered compilation to replace its tier-0 code soon.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Expand(long i, int length, float* values)
        {
            float* mean = (float*)table + ChannelNormalization.MeanPlane * layout.Channels, invstd = (float*)table + ChannelNormalization.InvStdPlane * layout.Channels;
            float* gamma = (float*)table + ChannelNormalization.GammaPlane * layout.Channels, beta = (float*)table + ChannelNormalization.BetaPlane * layout.Channels;
            int channels = layout.Channels, spatial = layout.Spatial, width = Vector<float>.Count;
            int c = layout.ChannelOf(i), position = (int)(i % spatial);
            for (int q = 0; q < length; q += width)
            {
                float* value = values + Values * q;
                if (spatial - position >= width)
                {
                    new Vector<float>(mean[c]).Store(value);
                    new Vector<float>(invstd[c]).Store(value + width);
                    new Vector<float>(gamma[c]).Store(value + 2 * width);
                    new Vector<float>(beta[c]).Store(value + 3 * width);
                    position += width;
                    if (position == spatial)
                    {
                        position = 0;
                        if (++c == channels) c = 0;
                    }
                    continue;
                }
                if (spatial == 1 && c + width <= channels)
                {
                    Vector.Load(mean + c).Store(value);
                    Vector.Load(invstd + c).Store(value + width);
                    Vector.Load(gamma + c).Store(value + 2 * width);
                    Vector.Load(beta + c).Store(value + 3 * width);
                    c += width;
                    if (c == channels) c = 0;
                    continue;
                }
                for (int lane = 0; lane < width; lane++)
                {
                    value[lane] = mean[c];
                    value[width + lane] = invstd[c];
                    value[2 * width + lane] = gamma[c];
                    value[3 * width + lane] = beta[c];
                    if (++position == spatial)
                    {
                        position = 0;
                        if (++c == channels) c = 0;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The LIF family's dynamics as vectors: <see cref="LifNeuron"/> and <see cref="PlifNeuron"/> (the latter with its
    /// decay already bound), written as their scalar methods are, operation for operation.
    /// </summary>
    private readonly struct LifForm
    {
        public readonly Vector<float> Decay, Threshold, OneMinusDecay;
        public readonly bool Hard, Detach, LearnsDecay;

        private LifForm(float decay, float threshold, int hard, int detach, bool learnsDecay)
        {
            Decay = new Vector<float>(decay);
            Threshold = new Vector<float>(threshold);
            OneMinusDecay = new Vector<float>(1f - decay);
            Hard = hard != 0;
            Detach = detach != 0;
            LearnsDecay = learnsDecay;
        }

        /// <summary>The vector form of <paramref name="neuron"/>, when it is of the LIF family and vectors are accelerated.</summary>
        public static bool TryOf<TNeuron>(TNeuron neuron, out LifForm form) where TNeuron : struct, INeuronDynamics
        {
            form = default;
            if (!Vector.IsHardwareAccelerated) return false;
            if (typeof(TNeuron) == typeof(LifNeuron))
            {
                var lif = Unsafe.As<TNeuron, LifNeuron>(ref neuron);
                form = new LifForm(lif.Decay, lif.Threshold, lif.Hard, lif.Detach, learnsDecay: false);
                return true;
            }
            if (typeof(TNeuron) == typeof(PlifNeuron))
            {
                var plif = Unsafe.As<TNeuron, PlifNeuron>(ref neuron);
                form = new LifForm(plif.Decay, plif.Threshold, plif.Hard, plif.Detach, learnsDecay: true);
                return true;
            }
            return false;
        }

        /// <summary>The spike of pre-reset potential u.</summary>
        public Vector<float> Spike(Vector<float> u) => Heaviside(u - Threshold);

        /// <summary><see cref="LifNeuron.ResetPotential"/>.</summary>
        public Vector<float> Reset(Vector<float> u, Vector<float> s) => Hard ? u * (Vector<float>.One - s) : u - Threshold * s;

        /// <summary><see cref="LifNeuron.ResetJacobian"/>.</summary>
        public Vector<float> ResetDerivative(Vector<float> u, Vector<float> s, Vector<float> sg)
        {
            if (!Hard) return Detach ? Vector<float>.One : Vector<float>.One - Threshold * sg;
            return Detach ? Vector<float>.One - s : (Vector<float>.One - s) - u * sg;
        }

        /// <summary>∂u/∂θ: PLIF's v·λ·(1 − λ), LIF's 0.</summary>
        public Vector<float> ParameterDerivative(Vector<float> v) => LearnsDecay ? v * Decay * OneMinusDecay : Vector<float>.Zero;
    }
}
