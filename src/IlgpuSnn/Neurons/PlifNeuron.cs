namespace IlgpuSnn.Neurons;

/// <summary>
/// Parametric LIF (Fang et al. 2021, SpikingJelly <c>ParametricLIFNode</c> with <c>decay_input=False</c>): LIF with a
/// decay learned per layer, λ = sigmoid(w): u[t] = λ·v[t−1] + I[t], so ∂u[t]/∂w = v[t−1]·λ(1 − λ).
/// w starts at logit(<see cref="NeuronSpec.Decay"/>) (λ = 0.5, SpikingJelly's init_tau = 2, gives w = 0).
/// Fire and reset as <see cref="LifNeuron"/>. The backward keeps u to rebuild v[t−1]. The kernels bind the layer's w on
/// the device (<see cref="BindParameter"/>), so a forward never reads it back to the host.
/// </summary>
public struct PlifNeuron : INeuronDynamics
{
    private float decay;

    /// <summary>Vth.</summary>
    public readonly float Threshold;

    /// <summary>1 for hard reset, 0 for soft.</summary>
    public readonly int Hard;

    /// <summary>1 when the reset is detached from the backward, else 0.</summary>
    public readonly int Detach;

    /// <summary>The dynamics for the learnable w (λ = sigmoid(w)).</summary>
    /// <param name="w">The learnable parameter.</param>
    /// <param name="threshold">Vth.</param>
    /// <param name="hard">Hard (true) or soft reset.</param>
    /// <param name="detach">Whether the reset is detached from the backward.</param>
    public PlifNeuron(float w, float threshold, bool hard, bool detach)
    {
        decay = Sigmoid(w);
        Threshold = threshold;
        Hard = hard ? 1 : 0;
        Detach = detach ? 1 : 0;
    }

    /// <summary>The model "plif": one learnable w per layer, initialised to logit(<see cref="NeuronSpec.Decay"/>).</summary>
    public static NeuronModel<PlifNeuron> Model { get; } = new PlifModel();

    /// <summary>λ = sigmoid(w).</summary>
    public readonly float Decay => decay;

    /// <summary>Sets λ = sigmoid(w) from the layer's w.</summary>
    /// <param name="parameter">w.</param>
    public void BindParameter(float parameter) => decay = Sigmoid(parameter);

    /// <inheritdoc />
    public readonly float Charge(float v, float current) => Decay * v + current;

    /// <inheritdoc />
    public readonly float ChargeStateDerivative(float v) => Decay;

    /// <inheritdoc />
    public readonly float ChargeCurrentDerivative(float v) => 1f;

    /// <inheritdoc />
    public readonly float ChargeParameterDerivative(float v) => v * Decay * (1f - Decay);

    /// <inheritdoc />
    public readonly float Overshoot(float u) => u - Threshold;

    /// <inheritdoc />
    public readonly float Reset(float u, float spike) => LifNeuron.ResetPotential(Threshold, Hard, u, spike);

    /// <inheritdoc />
    public readonly float ResetDerivative(float u, float spike, float surrogate) =>
        LifNeuron.ResetJacobian(Threshold, Hard, Detach, u, spike, surrogate);

    /// <inheritdoc />
    public readonly NeuronBackwardNeeds BackwardNeeds => NeuronBackwardNeeds.Potential;

    private static float Sigmoid(float w) => 1f / (1f + MathF.Exp(-w));

    private sealed class PlifModel() : NeuronModel<PlifNeuron>("plif")
    {
        public override bool HasParameter => true;

        public override float InitialParameter(NeuronSpec spec)
        {
            if (spec.Decay <= 0f || spec.Decay >= 1f)
                throw new ArgumentException($"PLIF: the initial decay must lie strictly between 0 and 1, got {spec.Decay}.", nameof(spec));
            return MathF.Log(spec.Decay / (1f - spec.Decay));
        }

        public override PlifNeuron Create(NeuronSpec spec, float parameter) =>
            new(parameter, spec.Threshold, spec.Reset == ResetMode.Hard, spec.DetachReset);
    }
}
