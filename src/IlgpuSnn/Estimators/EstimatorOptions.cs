namespace IlgpuSnn.Estimators;

/// <summary>Method-specific settings for <see cref="EstimatorFactory.Create"/>; each method reads only its own.</summary>
public sealed record EstimatorOptions
{
    /// <summary>SLTT-K: steps drawn per sequence.</summary>
    public int? K { get; init; }

    /// <summary>SLTT-K: a fixed set of 1-based steps instead of random draws (gradient checks).</summary>
    public IReadOnlyList<int>? KSet { get; init; }

    /// <summary>TT-LBPTT: truncation window in steps (default: the whole sequence).</summary>
    public int? Window { get; init; }

    /// <summary>TT-LBPTT: 0-based spiking-layer indices of each block (default: one block).</summary>
    public IReadOnlyList<int[]>? Blocks { get; init; }

    /// <summary>TT-LBPTT: step the optimizer after every window instead of once per sequence.</summary>
    public bool PerWindowUpdate { get; init; }

    /// <summary>TT-LBPTT: the auxiliary classifier of every non-final block.</summary>
    public AuxiliaryHead AuxiliaryHead { get; init; } = AuxiliaryHead.PoolLinear;

    /// <summary>OTTT / SAF: the first layer takes its weight gradient from the accumulated input.</summary>
    public bool AllTrace { get; init; }

    /// <summary>
    /// BatchNorm statistics; null takes the method's default (bptt and tt-lbptt fold the pass's steps; ratebp folds,
    /// its official 'm' mode, and takes per step as 's'; the step-by-step methods normalise per step and cannot fold).
    /// </summary>
    public BatchNormStatistics? BatchNormStats { get; init; }

    /// <summary>RateBP: scale gradients by 1/T like the official code.</summary>
    public bool OfficialScale { get; init; }
}
