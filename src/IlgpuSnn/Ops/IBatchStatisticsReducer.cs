namespace IlgpuSnn;

/// <summary>
/// Sums BatchNorm's per-channel batch sums over the replicas of a data-parallel job, so that every replica normalises
/// with the statistics of the whole global batch (synchronised BatchNorm). <see cref="Ops.BatchNorm"/> takes one in
/// training mode and calls it twice per normalisation: once in the forward (sample count, sums of the values and of
/// their squares) and once in the backward (Σ dy and Σ dy·x̂). Every replica must run the same normalisations in the
/// same order. Without a reducer (a single process) BatchNorm uses its own batch and nothing is communicated.
/// </summary>
public interface IBatchStatisticsReducer
{
    /// <summary>Replaces every value by its sum over the replicas, in place (every replica passes the same length).</summary>
    /// <param name="values">This replica's values; on return, the sums over all replicas.</param>
    void Sum(Span<double> values);
}
