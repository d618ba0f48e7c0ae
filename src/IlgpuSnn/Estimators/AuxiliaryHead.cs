namespace IlgpuSnn.Estimators;

/// <summary>
/// TT-LBPTT: the auxiliary classifier that gives a non-final block its local loss (spec §9.1 leaves its design open; the
/// paper's is not public). Either way the head is a linear classifier on the block's output spikes, trained with the
/// block by the same per-step loss.
/// </summary>
public enum AuxiliaryHead
{
    /// <summary>Global average pooling of feature maps [C, H, W] to [C], then a linear classifier (flat outputs: linear only).</summary>
    PoolLinear,

    /// <summary>All of the block's output flattened, then a linear classifier (more parameters, keeps spatial detail).</summary>
    Linear,
}
