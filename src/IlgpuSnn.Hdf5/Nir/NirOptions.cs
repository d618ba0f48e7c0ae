namespace IlgpuSnn.Hdf5.Nir;

/// <summary>How discrete-time IlgpuSnn neurons map to NIR's continuous-time ones (see docs/data.md, "NIR").</summary>
public sealed record NirOptions
{
    /// <summary>
    /// The time step dt in seconds one IlgpuSnn step stands for (1e-4 s by default, the step snnTorch assumes when it
    /// reads NIR). A LIF neuron u ← λ·u + I becomes tau = dt / (1 − λ), r = tau / dt, v_leak = 0, so that one forward-Euler
    /// step of tau·dv/dt = (v_leak − v) + r·I reproduces it; an IF neuron (λ = 1) becomes r = 1 / dt.
    /// </summary>
    public double Dt { get; init; } = 1e-4;

    /// <summary>
    /// Export soft-reset (subtract-threshold) neurons as NIR neurons, which reset to v_reset = 0: the file then behaves
    /// differently from the network. Off by default, so such a network is refused.
    /// </summary>
    public bool AllowSoftReset { get; init; }
}
