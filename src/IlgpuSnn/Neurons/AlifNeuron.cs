using System.Globalization;

namespace IlgpuSnn.Neurons;

/// <summary>
/// Adaptive-threshold LIF (ALIF; the adaptation of Bellec et al. 2018/2020): every spike raises the neuron's own
/// threshold, which decays back to θ0. With a[0] = 0 and s[−1] = 0:
/// a[t] = ρ·a[t−1] + s[t−1], θ[t] = θ0 + β·a[t], u[t] = λ·v[t−1] + I[t], s[t] = H(u[t] − θ[t]),
/// v[t] = u[t] − θ[t]·s[t] (soft) or u[t]·(1 − s[t]) (hard).
/// The kernels carry (v[t], a[t+1]), i.e. the adaptation is advanced at the end of each step: a' = ρ·a + s.
/// Unlike Bellec et al., whose reset subtracts the baseline θ0, the soft reset subtracts the adaptive θ[t] (the
/// post-reset potential is the overshoot above the threshold the neuron fired at, as for LIF).
/// The backward differentiates every edge: through the surrogate into both v and a (∂z/∂a = −β), through the reset's
/// θ[t] (∂v/∂a = −β·s, soft) and through the adaptation (∂a'/∂a = ρ, ∂a'/∂s = 1); a detached reset drops only
/// ∂v/∂s. λ = <see cref="NeuronSpec.Decay"/>, θ0 = <see cref="NeuronSpec.Threshold"/>; ρ and β belong to the model
/// (<see cref="NeuronSpec.Alif"/>), fixed, not learned.
/// </summary>
public readonly struct AlifNeuron : IAdaptiveNeuronDynamics
{
    /// <summary>ρ = 0.9 by default: the adaptation decays with a time constant of 10 steps.</summary>
    public const float DefaultAdaptationDecay = 0.9f;

    /// <summary>β = 0.2 by default: one recent spike raises the threshold by a fifth of θ0 = 1.</summary>
    public const float DefaultAdaptationStrength = 0.2f;

    /// <summary>λ.</summary>
    public readonly float Decay;

    /// <summary>θ0, the baseline threshold.</summary>
    public readonly float Threshold;

    /// <summary>ρ, the decay of the adaptation.</summary>
    public readonly float AdaptationDecay;

    /// <summary>β, the threshold added per unit of adaptation.</summary>
    public readonly float AdaptationStrength;

    /// <summary>1 for hard reset, 0 for soft.</summary>
    public readonly int Hard;

    /// <summary>1 when the reset's spike is detached from the backward, else 0.</summary>
    public readonly int Detach;

    /// <summary>The dynamics with the given constants.</summary>
    /// <param name="decay">λ.</param>
    /// <param name="threshold">θ0.</param>
    /// <param name="adaptationDecay">ρ.</param>
    /// <param name="adaptationStrength">β.</param>
    /// <param name="hard">Hard (true) or soft reset.</param>
    /// <param name="detach">Whether the reset's spike is detached from the backward.</param>
    public AlifNeuron(float decay, float threshold, float adaptationDecay, float adaptationStrength, bool hard, bool detach)
    {
        Decay = decay;
        Threshold = threshold;
        AdaptationDecay = adaptationDecay;
        AdaptationStrength = adaptationStrength;
        Hard = hard ? 1 : 0;
        Detach = detach ? 1 : 0;
    }

    /// <summary>The model "alif" with the default ρ and β.</summary>
    public static NeuronModel Model { get; } = CreateModel();

    /// <summary>The model "alif" with adaptation decay ρ and strength β.</summary>
    /// <param name="adaptationDecay">ρ in [0, 1].</param>
    /// <param name="adaptationStrength">β, finite and at least 0.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">ρ or β out of range.</exception>
    public static NeuronModel CreateModel(float adaptationDecay = DefaultAdaptationDecay, float adaptationStrength = DefaultAdaptationStrength) =>
        new AlifModel(adaptationDecay, adaptationStrength);

    /// <inheritdoc />
    public float Charge(float v, float a, float current) => Decay * v + current;

    /// <inheritdoc />
    public float ChargeStateDerivative(float v, float a) => Decay;

    /// <inheritdoc />
    public float ChargeCurrentDerivative(float v, float a) => 1f;

    /// <inheritdoc />
    public float ChargeAuxiliaryDerivative(float v, float a) => 0f;

    /// <inheritdoc />
    public float Overshoot(float u, float a) => u - (Threshold + AdaptationStrength * a);

    /// <inheritdoc />
    public float OvershootAuxiliaryDerivative(float a) => -AdaptationStrength;

    /// <inheritdoc />
    public float Reset(float u, float spike, float a) =>
        LifNeuron.ResetPotential(Threshold + AdaptationStrength * a, Hard, u, spike);

    /// <inheritdoc />
    public float ResetPotentialDerivative(float u, float spike, float a) => Hard != 0 ? 1f - spike : 1f;

    /// <inheritdoc />
    public float ResetSpikeDerivative(float u, float spike, float a) =>
        Detach != 0 ? 0f : Hard != 0 ? -u : -(Threshold + AdaptationStrength * a);

    /// <inheritdoc />
    public float ResetAuxiliaryDerivative(float u, float spike, float a) => Hard != 0 ? 0f : -AdaptationStrength * spike;

    /// <inheritdoc />
    public float Adapt(float a, float u, float spike) => AdaptationDecay * a + spike;

    /// <inheritdoc />
    public float AdaptAuxiliaryDerivative(float a, float u, float spike) => AdaptationDecay;

    /// <inheritdoc />
    public float AdaptPotentialDerivative(float a, float u, float spike) => 0f;

    /// <inheritdoc />
    public float AdaptSpikeDerivative(float a, float u, float spike) => 1f;

    private sealed class AlifModel : AdaptiveNeuronModel<AlifNeuron>
    {
        private readonly float rho, beta;

        public AlifModel(float rho, float beta) : base("alif")
        {
            if (!(rho >= 0f && rho <= 1f))
                throw new ArgumentException($"ALIF: the adaptation decay ρ must lie in [0, 1], got {rho.ToString(CultureInfo.InvariantCulture)}.", nameof(rho));
            if (!(beta >= 0f && float.IsFinite(beta)))
                throw new ArgumentException($"ALIF: the adaptation strength β must be finite and at least 0, got {beta.ToString(CultureInfo.InvariantCulture)}.", nameof(beta));
            this.rho = rho;
            this.beta = beta;
        }

        public override AlifNeuron Create(NeuronSpec spec) =>
            new(spec.Decay, spec.Threshold, rho, beta, spec.Reset == ResetMode.Hard, spec.DetachReset);

        public override bool Equals(object? obj) => obj is AlifModel other && other.rho == rho && other.beta == beta;

        public override int GetHashCode() => HashCode.Combine(Name, rho, beta);

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"alif(rho={rho}, beta={beta})");
    }
}
