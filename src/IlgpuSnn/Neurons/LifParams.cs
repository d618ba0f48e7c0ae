namespace IlgpuSnn.Neurons;

/// <summary>
/// The neuron parameters as a plain struct for kernels (no managed fields): decay λ, threshold Vth, surrogate α
/// and kind, reset mode (0 soft, 1 hard) and detach flag (0/1). Public because ILGPU's CPU backend requires
/// kernel parameter types to be visible; build it with <see cref="From"/>.
/// </summary>
public struct LifParams
{
    /// <summary>λ.</summary>
    public float Decay;

    /// <summary>Vth.</summary>
    public float Threshold;

    /// <summary>The surrogate's α.</summary>
    public float Alpha;

    /// <summary>The <see cref="SurrogateKind"/> as an integer.</summary>
    public int Kind;

    /// <summary>1 for hard reset, 0 for soft reset.</summary>
    public int Hard;

    /// <summary>1 when the reset is detached from the backward, else 0.</summary>
    public int Detach;

    /// <summary>The kernel parameters of <paramref name="spec"/>.</summary>
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
