using IlgpuSnn.Runtime;

namespace IlgpuSnn.Distributed;

/// <summary>The job of one process: every collective leaves the data as it is (the sum and average over one rank).</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>The shared instance (it holds nothing).</summary>
    public static SingleProcessCommunicator Instance { get; } = new();

    private SingleProcessCommunicator()
    {
    }

    /// <inheritdoc />
    public string Backend => "single";

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public int LocalRank => 0;

    /// <inheritdoc />
    public int LocalSize => 1;

    /// <inheritdoc />
    public void AllReduce(Tensor tensor, ReduceOperation operation) => ArgumentNullException.ThrowIfNull(tensor);

    /// <inheritdoc />
    public void AllReduce(Span<float> values, ReduceOperation operation)
    {
    }

    /// <inheritdoc />
    public void AllReduce(Span<double> values, ReduceOperation operation)
    {
    }

    /// <inheritdoc />
    public void Broadcast(Tensor tensor, int root)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        CheckRoot(root);
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root) => CheckRoot(root);

    /// <inheritdoc />
    public void Barrier()
    {
    }

    /// <inheritdoc />
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    /// <summary>Nothing to free.</summary>
    public void Dispose()
    {
    }

    private static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast: root {root} is not a rank of a single-process job.");
    }
}
