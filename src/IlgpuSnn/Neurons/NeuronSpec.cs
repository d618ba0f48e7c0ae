using System.Globalization;

namespace IlgpuSnn.Neurons;

/// <summary>
/// Parameters of a neuron layer: the <see cref="Model"/> (LIF unless set; see <see cref="NeuronModel"/>) and the
/// values it reads. For LIF (SpikingJelly <c>LIFNode</c> with <c>decay_input=False</c>):
/// u[t] = λ·v[t−1] + I[t], s[t] = H(u[t] − Vth), v[t] = u[t] − Vth·s[t] (soft) or u[t]·(1 − s[t]) (hard).
/// </summary>
/// <param name="Decay">λ = 1 − 1/τ, in [0, 1]; 1 is the IF neuron.</param>
/// <param name="Threshold">Vth, positive.</param>
/// <param name="Reset">Soft (subtract Vth) or hard (to zero) reset.</param>
/// <param name="DetachReset">Whether the spike inside the reset term is a constant for the backward.</param>
/// <param name="SurrogateFunction">The surrogate derivative; null means <see cref="Surrogate.Sigmoid"/> with α = 4.</param>
public sealed record NeuronSpec(
    float Decay = 0.5f,
    float Threshold = 1f,
    ResetMode Reset = ResetMode.Soft,
    bool DetachReset = false,
    Surrogate? SurrogateFunction = null)
{
    /// <summary>λ = 1 − 1/τ, in [0, 1]; 1 is the IF neuron.</summary>
    public float Decay { get; init => field = ValidDecay(value); } = ValidDecay(Decay);

    /// <summary>Vth, positive.</summary>
    public float Threshold { get; init => field = ValidThreshold(value); } = ValidThreshold(Threshold);

    /// <summary>Soft (subtract Vth) or hard (to zero) reset.</summary>
    public ResetMode Reset { get; init => field = ValidReset(value); } = ValidReset(Reset);

    /// <summary>The surrogate as given; reads back the effective one (never null: sigmoid α = 4 by default).</summary>
    public Surrogate? SurrogateFunction
    {
        get => Surrogate;
        init => Surrogate = value ?? Neurons.Surrogate.Sigmoid();
    }

    /// <summary>The effective surrogate derivative (sigmoid α = 4 unless another was given).</summary>
    public Surrogate Surrogate { get; init; } = SurrogateFunction ?? Neurons.Surrogate.Sigmoid();

    /// <summary>The neuron model (<see cref="NeuronModel.Lif"/> unless set).</summary>
    public NeuronModel Model { get; init => field = value ?? throw new ArgumentNullException(nameof(value)); } = NeuronModel.Lif;

    /// <summary>The names accepted by <see cref="Named"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lif", "if", "plif", "alif"];

    /// <summary>A LIF neuron with decay λ (0.5 = τ of 2).</summary>
    /// <param name="decay">λ, the factor the potential keeps per step, in [0, 1].</param>
    /// <param name="threshold">Vth, the firing threshold.</param>
    /// <param name="reset">Soft (subtract the threshold) or hard (to zero) reset.</param>
    /// <param name="detachReset">Whether the spike inside the reset term is a constant for the backward.</param>
    /// <param name="surrogate">The surrogate; null means sigmoid α = 4.</param>
    /// <returns>The neuron parameters.</returns>
    public static NeuronSpec Lif(float decay = 0.5f, float threshold = 1f, ResetMode reset = ResetMode.Soft,
        bool detachReset = false, Surrogate? surrogate = null) =>
        new(decay, threshold, reset, detachReset, surrogate);

    /// <summary>An integrate-and-fire neuron (λ = 1).</summary>
    /// <param name="threshold">Vth, the firing threshold.</param>
    /// <param name="reset">Soft (subtract the threshold) or hard (to zero) reset.</param>
    /// <param name="detachReset">Whether the spike inside the reset term is a constant for the backward.</param>
    /// <param name="surrogate">The surrogate; null means sigmoid α = 4.</param>
    /// <returns>The neuron parameters.</returns>
    public static NeuronSpec If(float threshold = 1f, ResetMode reset = ResetMode.Soft,
        bool detachReset = false, Surrogate? surrogate = null) =>
        new(1f, threshold, reset, detachReset, surrogate);

    /// <summary>
    /// A PLIF neuron (<see cref="PlifNeuron"/>): LIF whose decay λ = sigmoid(w) is learned per layer, starting at
    /// <paramref name="initialDecay"/> (strictly between 0 and 1).
    /// </summary>
    /// <param name="initialDecay">The starting λ, strictly between 0 and 1.</param>
    /// <param name="threshold">Vth, the firing threshold.</param>
    /// <param name="reset">Soft (subtract the threshold) or hard (to zero) reset.</param>
    /// <param name="detachReset">Whether the spike inside the reset term is a constant for the backward.</param>
    /// <param name="surrogate">The surrogate; null means sigmoid α = 4.</param>
    /// <returns>The neuron parameters.</returns>
    public static NeuronSpec Plif(float initialDecay = 0.5f, float threshold = 1f, ResetMode reset = ResetMode.Soft,
        bool detachReset = false, Surrogate? surrogate = null) =>
        new(initialDecay, threshold, reset, detachReset, surrogate) { Model = NeuronModel.Plif };

    /// <summary>
    /// An ALIF neuron (<see cref="AlifNeuron"/>): LIF with decay λ whose threshold θ[t] = θ0 + β·a[t] rises with its
    /// own spikes, a[t] = ρ·a[t−1] + s[t−1]; soft reset subtracts θ[t].
    /// </summary>
    /// <param name="decay">λ of the potential.</param>
    /// <param name="threshold">θ0, the baseline threshold.</param>
    /// <param name="adaptationDecay">ρ in [0, 1] (0.9 by default).</param>
    /// <param name="adaptationStrength">β ≥ 0 (0.2 by default).</param>
    /// <param name="reset">Soft (subtract θ[t]) or hard (to zero) reset.</param>
    /// <param name="detachReset">Whether the spike inside the reset term is a constant for the backward.</param>
    /// <param name="surrogate">The surrogate; null means sigmoid α = 4.</param>
    /// <returns>The neuron parameters.</returns>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    public static NeuronSpec Alif(float decay = 0.5f, float threshold = 1f, float adaptationDecay = AlifNeuron.DefaultAdaptationDecay,
        float adaptationStrength = AlifNeuron.DefaultAdaptationStrength, ResetMode reset = ResetMode.Soft, bool detachReset = false,
        Surrogate? surrogate = null) =>
        new(decay, threshold, reset, detachReset, surrogate) { Model = AlifNeuron.CreateModel(adaptationDecay, adaptationStrength) };

    /// <summary>
    /// The built-in neuron called <paramref name="name"/> ("lif": λ = 0.5, "if": λ = 1, "plif": λ starts at 0.5,
    /// "alif": λ = 0.5, ρ = 0.9, β = 0.2; threshold 1, soft reset) with the given surrogate.
    /// </summary>
    /// <param name="name">lif, if, plif or alif (case-insensitive).</param>
    /// <param name="surrogate">The surrogate; null means sigmoid α = 4.</param>
    /// <returns>The neuron parameters.</returns>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static NeuronSpec Named(string name, Surrogate? surrogate = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "lif" => Lif(surrogate: surrogate),
            "if" => If(surrogate: surrogate),
            "plif" => Plif(surrogate: surrogate),
            "alif" => Alif(surrogate: surrogate),
            _ => throw new ArgumentException($"Unknown neuron '{name}'; valid names are {string.Join(", ", Names)}."),
        };
    }

    /// <summary>λ from a membrane time constant: 1 − 1/τ (τ ≥ 1).</summary>
    /// <param name="tau">The membrane time constant τ in steps, at least 1.</param>
    /// <returns>λ = 1 − 1/τ.</returns>
    public static float DecayFromTau(float tau) =>
        tau >= 1f && float.IsFinite(tau) ? 1f - 1f / tau : throw new ArgumentException(
            $"NeuronSpec.DecayFromTau: tau must be finite and at least 1, got {tau.ToString(CultureInfo.InvariantCulture)}.", nameof(tau));

    private static float ValidDecay(float decay) =>
        decay >= 0f && decay <= 1f ? decay : throw new ArgumentException(
            $"NeuronSpec: decay must lie in [0, 1], got {decay.ToString(CultureInfo.InvariantCulture)}.", nameof(decay));

    private static float ValidThreshold(float threshold) =>
        threshold > 0f && float.IsFinite(threshold) ? threshold : throw new ArgumentException(
            $"NeuronSpec: threshold must be positive and finite, got {threshold.ToString(CultureInfo.InvariantCulture)}.", nameof(threshold));

    private static ResetMode ValidReset(ResetMode reset) =>
        Enum.IsDefined(reset) ? reset : throw new ArgumentException($"NeuronSpec: unknown reset mode {(int)reset}.", nameof(reset));
}
