using System.Buffers.Binary;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Distributed;

/// <summary>Keeps the ranks' copies of a model in step: broadcasts from rank 0, averages of buffers, sums of metrics.</summary>
public static class Replicas
{
    /// <summary>Overwrites every tensor on every rank with rank 0's (parameters, buffers, optimizer state).</summary>
    /// <param name="communicator">The job's communicator.</param>
    /// <param name="tensors">The tensors, the same list in the same order on every rank.</param>
    public static void BroadcastFromRoot(ICommunicator communicator, IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(tensors);
        if (communicator.Size == 1) return;
        foreach (var t in tensors) communicator.Broadcast(t, 0);
    }

    /// <summary>Rank 0's values of <paramref name="values"/> on every rank (e.g. the epoch and step a resumed run starts from).</summary>
    /// <param name="communicator">The job's communicator.</param>
    /// <param name="values">This rank's values; the same count on every rank.</param>
    /// <returns>A new array with rank 0's values.</returns>
    public static long[] BroadcastFromRoot(ICommunicator communicator, params long[] values)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(values);
        if (communicator.Size == 1) return values;
        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        communicator.Broadcast(bytes, 0);
        return Enumerable.Range(0, values.Length).Select(i => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * sizeof(long)))).ToArray();
    }

    /// <summary>Replaces every tensor by its average over the ranks (BatchNorm running statistics).</summary>
    /// <param name="communicator">The job's communicator.</param>
    /// <param name="tensors">The tensors, the same list in the same order on every rank.</param>
    public static void Average(ICommunicator communicator, IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(tensors);
        if (communicator.Size == 1) return;
        foreach (var t in tensors) communicator.AllReduce(t, ReduceOperation.Average);
    }

    /// <summary>The sums over the ranks of <paramref name="values"/> (loss sums, correct and seen counts).</summary>
    /// <param name="communicator">The job's communicator.</param>
    /// <param name="values">This rank's values; the same count on every rank.</param>
    /// <returns>A new array with the element-wise sums.</returns>
    public static double[] Sum(ICommunicator communicator, params double[] values)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(values);
        var result = (double[])values.Clone();
        communicator.AllReduce(result, ReduceOperation.Sum);
        return result;
    }
}
