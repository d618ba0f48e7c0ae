using System.Diagnostics;

namespace IlgpuSnn.Distributed;

/// <summary>
/// Synchronised BatchNorm over a communicator: each BatchNorm's per-channel sums are all-reduced (summed over the
/// ranks, as host doubles), two small all-reduces per normalisation, one in the forward and one in the backward.
/// Counts the calls, bytes and wall time for the run's metrics.
/// </summary>
public sealed class BatchStatisticsAllReduce(ICommunicator communicator) : IBatchStatisticsReducer
{
    private readonly ICommunicator communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));

    /// <summary>All-reduce calls so far.</summary>
    public long Calls { get; private set; }

    /// <summary>Bytes all-reduced by this rank so far (its buffer sizes).</summary>
    public long Bytes { get; private set; }

    /// <summary>Wall time spent in the all-reduces so far (including the wait for slower ranks).</summary>
    public TimeSpan Time { get; private set; }

    /// <inheritdoc />
    public void Sum(Span<double> values)
    {
        var watch = Stopwatch.StartNew();
        communicator.AllReduce(values, ReduceOperation.Sum);
        Time += watch.Elapsed;
        Calls++;
        Bytes += (long)values.Length * sizeof(double);
    }
}
