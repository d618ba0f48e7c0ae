using IlgpuSnn.Neurons;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The per-neuron arithmetic of one step, written once for the portable neuron kernels (<see cref="LifKernels"/>,
/// <see cref="LifBackwardKernels"/>, <see cref="AdaptiveNeuronKernels"/>) and their host-pointer forms
/// (<see cref="HostLifKernels"/>, <see cref="HostAdaptiveNeuronKernels"/>, <see cref="HostSafKernels"/>' scalar tail), which differ only in how they reach memory
/// (views on every backend, pointers on the CPU accelerator) and in the loop over their neurons. Plain scalar code:
/// ILGPU inlines it into kernels for the CPU accelerator, PTX and OpenCL C; every form runs the same float operations
/// in the same order, so their results are identical.
/// </summary>
internal static class NeuronElements
{
    /// <summary>H(z) of the overshoot z: 1 where z ≥ 0, else 0 (NaN gives 0).</summary>
    public static float Heaviside(float z) => z >= 0f ? 1f : 0f;

    /// <summary>
    /// SAF's overshoot of one step on accumulations: z = u − θ with u = <paramref name="inputScale"/>·â − λ·θ·trace (the
    /// trace â[t−1] of the neuron's own spikes stands in for the membrane).
    /// </summary>
    public static float SafOvershoot(float accumulated, float trace, float decay, float threshold, float inputScale)
    {
        float u = inputScale * accumulated - decay * threshold * trace;
        return u - threshold;
    }

    /// <summary>
    /// BatchNorm's output γ·((x − μ)·ρ) + β (ρ = 1/sqrt(σ² + ε)): the float operations, in their order, of the BatchNorm
    /// kernels' x̂ = (x − μ)·ρ and y = γ·x̂ + β, so a neuron kernel that normalises its input
    /// (<see cref="ChannelNormalization"/>) sees the current BatchNorm would have written, bit for bit.
    /// </summary>
    public static float Normalize(float x, float mean, float invstd, float gamma, float beta) => gamma * ((x - mean) * invstd) + beta;

    /// <summary>
    /// The next presynaptic trace â = λ·â_prev + s: the float operations of <c>Ops.NextTrace</c>'s combine
    /// (λ·â_prev + 1·s, and 1·s = s exactly), so a neuron step that writes its trace matches the separate launch bit for bit.
    /// </summary>
    public static float NextTrace(float decay, float previous, float spike) => decay * previous + spike;

    /// <summary>The spike of pre-reset potential u (the forward's H(z)).</summary>
    public static float Spike<TNeuron>(TNeuron neuron, float u) where TNeuron : struct, INeuronDynamics =>
        Heaviside(neuron.Overshoot(u));

    /// <summary>The spike of pre-reset potential u under auxiliary state a (the forward's H(z)).</summary>
    public static float Spike<TNeuron>(TNeuron neuron, float u, float a) where TNeuron : struct, IAdaptiveNeuronDynamics =>
        Heaviside(neuron.Overshoot(u, a));

    /// <summary>One forward step of a one-state neuron from state <paramref name="v"/> under input <paramref name="current"/>.</summary>
    public static Firing Fire<TNeuron>(TNeuron neuron, float v, float current) where TNeuron : struct, INeuronDynamics
    {
        float u = neuron.Charge(v, current);
        float z = neuron.Overshoot(u);
        float s = Heaviside(z);
        return new Firing(u, z, s, neuron.Reset(u, s), 0f);
    }

    /// <summary>One forward step of a two-state neuron from (<paramref name="v"/>, <paramref name="a"/>) under input <paramref name="current"/>.</summary>
    public static Firing Fire<TNeuron>(TNeuron neuron, float v, float a, float current) where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        float u = neuron.Charge(v, a, current);
        float z = neuron.Overshoot(u, a);
        float s = Heaviside(z);
        return new Firing(u, z, s, neuron.Reset(u, s, a), neuron.Adapt(a, u, s));
    }

    /// <summary>
    /// One step of RateBP's statistics pass: fires from <paramref name="v"/>, adds s to <paramref name="spikeSum"/> and
    /// σ'·e to <paramref name="eligibilitySum"/>, and carries v and the eligibility recursion e to the next step.
    /// </summary>
    /// <returns>The step's spike.</returns>
    public static float RateStep<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate, float current, ref float v, ref float e,
        ref float spikeSum, ref float eligibilitySum)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        var f = Fire(neuron, v, current);
        float sg = surrogate.Derivative(f.Z);
        spikeSum += f.S;
        eligibilitySum += sg * e;
        v = f.V;
        e = neuron.ChargeCurrentDerivative(v) + e * neuron.ChargeStateDerivative(v) * neuron.ResetDerivative(f.U, f.S, sg);
        return f.S;
    }

    /// <summary>The state a one-state neuron carried out of a step that charged to <paramref name="u"/>: reset(u, H(z)).</summary>
    public static float StateAfter<TNeuron>(TNeuron neuron, float u) where TNeuron : struct, INeuronDynamics =>
        neuron.Reset(u, Spike(neuron, u));

    /// <summary>The potential a two-state neuron carried out of a step that charged to <paramref name="u"/> under <paramref name="a"/>.</summary>
    public static float StateAfter<TNeuron>(TNeuron neuron, float u, float a) where TNeuron : struct, IAdaptiveNeuronDynamics =>
        neuron.Reset(u, Spike(neuron, u, a), a);

    /// <summary>
    /// g_u = g_s·σ' + g_v·dv/du of a one-state neuron's step: the gradient reaching the pre-reset potential from the
    /// spike (<paramref name="gs"/>) and from the post-reset state (<paramref name="gv"/>).
    /// </summary>
    public static float PotentialGradient<TNeuron>(TNeuron neuron, float gs, float gv, float sg, float u, float s)
        where TNeuron : struct, INeuronDynamics =>
        gs * sg + gv * neuron.ResetDerivative(u, s, sg);

    /// <summary>
    /// The chain rule of one step of a two-state neuron (see <see cref="AdaptiveNeuronKernels"/>): returns g_I and gives
    /// g_v[t−1], g_a[t] for the step that started from (v[t−1] = <paramref name="vPrev"/>, a) and charged to u.
    /// </summary>
    public static float StepGradients<TNeuron>(TNeuron neuron, float gs, float gv, float ga, float sg, float u, float a, float vPrev,
        out float gvPrev, out float gaPrev)
        where TNeuron : struct, IAdaptiveNeuronDynamics
    {
        float s = Spike(neuron, u, a);
        float gz = (gs + gv * neuron.ResetSpikeDerivative(u, s, a) + ga * neuron.AdaptSpikeDerivative(a, u, s)) * sg;
        float gu = gz + gv * neuron.ResetPotentialDerivative(u, s, a) + ga * neuron.AdaptPotentialDerivative(a, u, s);
        gaPrev = gz * neuron.OvershootAuxiliaryDerivative(a) + gv * neuron.ResetAuxiliaryDerivative(u, s, a)
            + ga * neuron.AdaptAuxiliaryDerivative(a, u, s) + gu * neuron.ChargeAuxiliaryDerivative(vPrev, a);
        gvPrev = gu * neuron.ChargeStateDerivative(vPrev, a);
        return gu * neuron.ChargeCurrentDerivative(vPrev, a);
    }
}

/// <summary>One forward step of a neuron.</summary>
/// <param name="U">The pre-reset potential.</param>
/// <param name="Z">The overshoot (the surrogate's argument).</param>
/// <param name="S">The spike, H(z).</param>
/// <param name="V">The post-reset state (potential).</param>
/// <param name="A">A two-state neuron's next auxiliary state (0 for one-state neurons).</param>
internal readonly record struct Firing(float U, float Z, float S, float V, float A);
