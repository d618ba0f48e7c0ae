namespace IlgpuSnn.Neurons;

/// <summary>
/// The neuron parameters as a plain struct for kernels (no managed fields): decay λ, threshold Vth, surrogate α
/// and kind, reset mode (0 soft, 1 hard) and detach flag (0/1).
/// </summary>
internal struct LifParams
{
    public float Decay;
    public float Threshold;
    public float Alpha;
    public int Kind;
    public int Hard;
    public int Detach;

    public static LifParams From(NeuronSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new LifParams
        {
            Decay = spec.Decay,
            Threshold = spec.Threshold,
            Alpha = spec.Surrogate.Alpha,
            Kind = (int)spec.Surrogate.Kind,
            Hard = spec.Reset == ResetMode.Hard ? 1 : 0,
            Detach = spec.DetachReset ? 1 : 0,
        };
    }

    /// <summary>Whether the backward needs the spikes (hard reset: ∂v/∂u contains 1 − s).</summary>
    public readonly bool NeedsSpikes => Hard != 0;

    /// <summary>Whether the backward needs the pre-reset potential u (hard reset, reset kept: ∂v/∂u contains −u·σ').</summary>
    public readonly bool NeedsPotential => Hard != 0 && Detach == 0;
}
