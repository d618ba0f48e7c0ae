namespace IlgpuSnn.Distributed;

/// <summary>
/// The distributed sampler: which samples of every global batch one rank trains on. All ranks shuffle the epoch the
/// same way (the single-process order, seeded by seed and epoch); global batch b is order[b·B, (b+1)·B) as in a single
/// process, and rank r takes the contiguous part [⌊n·r/R⌋, ⌊n·(r+1)/R⌋) of its n samples. The parts of the ranks are
/// disjoint and their union, in rank order, is the single-process batch, so R ranks at global batch B see exactly the
/// samples one process sees at batch B. A last global batch with fewer samples than ranks is left out (it cannot give
/// every rank a sample; a single process keeps it).
/// </summary>
public readonly record struct DataShard
{
    /// <summary>Creates the shard of rank <paramref name="rank"/> among <paramref name="count"/> ranks.</summary>
    /// <param name="rank">This rank, in [0, <paramref name="count"/>).</param>
    /// <param name="count">Number of ranks; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ rank &lt; count.</exception>
    public DataShard(int rank, int count)
    {
        if (count < 1 || rank < 0 || rank >= count)
            throw new ArgumentOutOfRangeException(nameof(rank), $"DataShard: rank {rank} is not in [0, {count}).");
        Rank = rank;
        Count = count;
    }

    /// <summary>The whole data set (one process).</summary>
    public static DataShard Whole { get; } = new(0, 1);

    /// <summary>This rank.</summary>
    public int Rank { get; }

    /// <summary>Number of ranks sharing every batch.</summary>
    public int Count { get; }

    /// <summary>This rank's part of the global batch order[start, start + length).</summary>
    /// <param name="start">Offset of the global batch in the epoch's order.</param>
    /// <param name="length">Number of samples of the global batch.</param>
    /// <returns>Offset in the epoch's order and number of this rank's samples.</returns>
    public (int Start, int Length) Part(int start, int length)
    {
        int from = (int)((long)length * Rank / Count), to = (int)((long)length * (Rank + 1) / Count);
        return (start + from, to - from);
    }

    /// <summary>Samples of global batch <paramref name="batch"/> (all ranks together).</summary>
    /// <param name="samples">Samples in the epoch.</param>
    /// <param name="batchSize">The global batch size.</param>
    /// <param name="batch">0-based global batch index.</param>
    /// <returns>The batch's sample count: <paramref name="batchSize"/>, fewer for the last batch, 0 past the end.</returns>
    public static int GlobalBatchLength(int samples, int batchSize, int batch) => Math.Clamp(samples - batch * batchSize, 0, batchSize);

    /// <summary>Global batches per epoch (see the class remarks for the last one).</summary>
    /// <param name="samples">Samples in the epoch.</param>
    /// <param name="batchSize">The global batch size; at least the number of ranks.</param>
    /// <param name="dropLast">Whether a last, smaller batch is dropped.</param>
    /// <returns>The number of global batches of the epoch.</returns>
    /// <exception cref="ArgumentException">The global batch is smaller than the number of ranks.</exception>
    public int Batches(int samples, int batchSize, bool dropLast)
    {
        if (batchSize < Count)
            throw new ArgumentException($"The global batch size {batchSize} is smaller than the {Count} ranks; every rank needs at least one sample.");
        int full = samples / batchSize, rest = samples % batchSize;
        return full + (rest >= Count && !dropLast ? 1 : 0);
    }
}
