namespace IlgpuSnn.Neurons;

/// <summary>
/// LIF / IF dynamics (SpikingJelly <c>LIFNode</c> with <c>decay_input=False</c>; IF is λ = 1):
/// u[t] = λ·v[t−1] + I[t], s[t] = H(u[t] − Vth), v[t] = u[t] − Vth·s[t] (soft) or u[t]·(1 − s[t]) (hard).
/// dv/du = 1 − Vth·σ' (soft), (1 − s) − u·σ' (hard); the σ' terms vanish when the reset is detached.
/// </summary>
public readonly struct LifNeuron : INeuronDynamics
{
    /// <summary>λ.</summary>
    public readonly float Decay;

    /// <summary>Vth.</summary>
    public readonly float Threshold;

    /// <summary>1 for hard reset, 0 for soft.</summary>
    public readonly int Hard;

    /// <summary>1 when the reset is detached from the backward, else 0.</summary>
    public readonly int Detach;

    /// <summary>The dynamics with decay λ, threshold Vth and the given reset.</summary>
    /// <param name="decay">λ.</param>
    /// <param name="threshold">Vth.</param>
    /// <param name="hard">Hard (true) or soft reset.</param>
    /// <param name="detach">Whether the reset is detached from the backward.</param>
    public LifNeuron(float decay, float threshold, bool hard, bool detach)
    {
        Decay = decay;
        Threshold = threshold;
        Hard = hard ? 1 : 0;
        Detach = detach ? 1 : 0;
    }

    /// <summary>The model "lif": the struct from <see cref="NeuronSpec"/>'s decay, threshold and reset.</summary>
    public static NeuronModel<LifNeuron> Model { get; } = new LifModel();

    /// <inheritdoc />
    public void BindParameter(float parameter)
    {
    }

    /// <inheritdoc />
    public float Charge(float v, float current) => Decay * v + current;

    /// <inheritdoc />
    public float ChargeStateDerivative(float v) => Decay;

    /// <inheritdoc />
    public float ChargeCurrentDerivative(float v) => 1f;

    /// <inheritdoc />
    public float ChargeParameterDerivative(float v) => 0f;

    /// <inheritdoc />
    public float Overshoot(float u) => u - Threshold;

    /// <inheritdoc />
    public float Reset(float u, float spike) => ResetPotential(Threshold, Hard, u, spike);

    /// <inheritdoc />
    public float ResetDerivative(float u, float spike, float surrogate) => ResetJacobian(Threshold, Hard, Detach, u, spike, surrogate);

    /// <inheritdoc />
    public NeuronBackwardNeeds BackwardNeeds =>
        Hard == 0 ? NeuronBackwardNeeds.None : Detach != 0 ? NeuronBackwardNeeds.Spikes : NeuronBackwardNeeds.Potential;

    /// <summary>Soft or hard reset of u by spike s (shared by the LIF family).</summary>
    internal static float ResetPotential(float threshold, int hard, float u, float s) =>
        hard != 0 ? u * (1f - s) : u - threshold * s;

    /// <summary>dv/du of <see cref="ResetPotential"/> (shared by the LIF family).</summary>
    internal static float ResetJacobian(float threshold, int hard, int detach, float u, float s, float sg)
    {
        if (hard == 0) return detach != 0 ? 1f : 1f - threshold * sg;
        return detach != 0 ? 1f - s : (1f - s) - u * sg;
    }

    private sealed class LifModel() : NeuronModel<LifNeuron>("lif")
    {
        public override LifNeuron Create(NeuronSpec spec, float parameter) =>
            new(spec.Decay, spec.Threshold, spec.Reset == ResetMode.Hard, spec.DetachReset);

        public override bool IsLinearLeak(NeuronSpec spec) => true;
    }
}
