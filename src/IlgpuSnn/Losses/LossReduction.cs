namespace IlgpuSnn;

/// <summary>How the per-step read-outs o[t] of a sequence enter the loss (spec §3).</summary>
public enum LossReduction
{
    /// <summary>L = (1/T) Σ_t ℓ(o[t], y): SLTT, OTTT, SAF and the BPTT of the SLTT code.</summary>
    PerStep,

    /// <summary>L = ℓ(ō, y) with ō = (1/T) Σ_t o[t]: RateBP and its BPTT baseline.</summary>
    MeanOutput,
}
