namespace IlgpuSnn.Neurons;

/// <summary>What the backward of a neuron reads besides the surrogate derivative σ' of every step.</summary>
public enum NeuronBackwardNeeds
{
    /// <summary>σ' only (the derivatives are constants: LIF with soft reset).</summary>
    None = 0,

    /// <summary>σ' and the spikes s[t] (hard reset with the reset detached: dv/du = 1 − s).</summary>
    Spikes = 1,

    /// <summary>
    /// σ' and the pre-reset potential u[t]; the spikes are recomputed from u, and v[t−1] from u[t−1] (and the state
    /// the sequence started from), for derivatives that depend on the potential.
    /// </summary>
    Potential = 2,
}
