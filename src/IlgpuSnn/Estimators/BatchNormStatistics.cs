namespace IlgpuSnn.Estimators;

/// <summary>
/// Over which samples BatchNorm takes its batch statistics when a method runs several time steps in one pass. Either
/// way the statistics are PyTorch's BatchNorm1d/2d in training mode (biased variance to normalise; unbiased variance
/// and momentum for the running statistics, updated at every normalisation call).
/// </summary>
public enum BatchNormStatistics
{
    /// <summary>Each step's B samples on their own: T normalisation calls (and running-statistic updates) per sequence.</summary>
    PerStep,

    /// <summary>All steps of the pass folded into one batch (T·B for a whole sequence, k·B for a window): one call.</summary>
    Folded,
}
