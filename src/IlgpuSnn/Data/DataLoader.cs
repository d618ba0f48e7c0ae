using System.Collections;
using IlgpuSnn.Distributed;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data;

/// <summary>
/// Iterates an <see cref="ImageDataset"/> in mini-batches on a device. The order of epoch e is a Fisher–Yates shuffle
/// seeded by (seed, e) alone, so it is reproducible and a resumed run sees the same order. The host arrays of the next
/// batch are assembled on a background task while the current one is used; the upload happens on the consuming
/// thread. Each <see cref="Batch"/> belongs to no <see cref="TensorScope"/>: the consumer disposes it.
/// </summary>
public sealed class DataLoader : IEnumerable<Batch>
{
    private readonly Device device;
    private readonly ImageDataset data;
    private readonly bool shuffle;
    private readonly int seed;
    private readonly bool dropLast;

    /// <summary>Creates a loader.</summary>
    /// <param name="device">Where the batches are uploaded.</param>
    /// <param name="data">The samples.</param>
    /// <param name="batchSize">Samples per batch (positive).</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a (seeded) random order.</param>
    /// <param name="seed">Seed of the shuffles.</param>
    /// <param name="dropLast">Whether a last, smaller batch is dropped.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public DataLoader(Device device, ImageDataset data, int batchSize, bool shuffle, int seed, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batch size must be positive, got {batchSize}.");
        this.device = device;
        this.data = data;
        BatchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    /// <summary>Samples per batch (the last batch may be smaller unless dropLast).</summary>
    public int BatchSize { get; }

    /// <summary>The dataset being iterated.</summary>
    public ImageDataset Dataset => data;

    /// <summary>
    /// This process's part of every batch in data-parallel training (default: the whole batch). <see cref="BatchSize"/>
    /// is then the global batch, and each batch enumerated holds this rank's part of it.
    /// </summary>
    public DataShard Shard { get; init; } = DataShard.Whole;

    /// <summary>Number of (global) batches in one epoch.</summary>
    public int BatchesPerEpoch => Shard.Batches(data.Count, BatchSize, dropLast);

    /// <summary>The epoch that the next plain enumeration (foreach over the loader) visits; it advances by one each time.</summary>
    public int NextEpoch { get; set; }

    /// <summary>
    /// Seconds the consumer has spent waiting for batches (the part of a batch's preparation the background prefetch did
    /// not hide; not the upload, which on the CPU accelerator first runs the previous iteration's recorded kernels),
    /// summed over every enumeration of this loader.
    /// </summary>
    public double WaitSeconds { get; private set; }

    /// <summary>The sample order of epoch <paramref name="epoch"/>: a permutation of [0, Count), identity without shuffle.</summary>
    /// <param name="epoch">0-based epoch number; with shuffling it seeds the permutation together with the loader's seed.</param>
    /// <returns>The sample indices of the epoch, in the order they are batched.</returns>
    public int[] Order(int epoch)
    {
        var order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!shuffle) return order;
        ulong state = Mix((ulong)(uint)seed ^ Mix(0x5EEDUL + (ulong)(uint)epoch));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)Below(ref state, (ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The batches of epoch <paramref name="epoch"/>, in the order given by <see cref="Order"/>.</summary>
    /// <param name="epoch">0-based epoch number; selects the order.</param>
    /// <returns>The epoch's batches, built lazily as the sequence is enumerated.</returns>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        var order = Order(epoch);
        int batches = BatchesPerEpoch;
        if (batches == 0) yield break;
        var pending = Task.Run(() => Assemble(order, 0));
        try
        {
            for (int b = 0; b < batches; b++)
            {
                long waitStart = System.Diagnostics.Stopwatch.GetTimestamp();
                var host = pending.GetAwaiter().GetResult();
                // Only the wait for the host batch counts: on the CPU accelerator the upload first runs the kernels
                // the previous iteration recorded, which is training, not waiting for data.
                WaitSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(waitStart).TotalSeconds;
                if (b + 1 < batches)
                {
                    int next = b + 1;
                    pending = Task.Run(() => Assemble(order, next));
                }
                var batch = Upload(host);
                yield return batch;
            }
        }
        finally
        {
            // Let an abandoned prefetch finish so it does not outlive the enumeration.
            try { pending.Wait(); } catch (AggregateException) { }
        }
    }

    /// <summary>Enumerates epoch <see cref="NextEpoch"/> and advances it.</summary>
    /// <returns>An enumerator over the batches of the current epoch.</returns>
    public IEnumerator<Batch> GetEnumerator() => Epoch(NextEpoch++).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed record HostBatch(float[] Images, float[] Labels, int[] LabelArray);

    private HostBatch Assemble(int[] order, int batch)
    {
        var (start, size) = Shard.Part(batch * BatchSize, Math.Min(BatchSize, order.Length - batch * BatchSize));
        int per = data.SampleSize;
        var images = new float[(long)size * per];
        var labels = new float[size];
        var labelArray = new int[size];
        for (int k = 0; k < size; k++)
        {
            int s = order[start + k];
            Array.Copy(data.Images, (long)s * per, images, (long)k * per, per);
            labelArray[k] = data.Labels[s];
            labels[k] = data.Labels[s];
        }
        return new HostBatch(images, labels, labelArray);
    }

    private Batch Upload(HostBatch host)
    {
        using (TensorScope.Suspend())
        {
            int size = host.LabelArray.Length;
            var images = Tensor.FromArray(device, host.Images, size, data.Channels, data.Height, data.Width);
            try
            {
                var labels = Tensor.FromArray(device, host.Labels, size);
                labels.CheckedClassCount = data.Classes;
                return new Batch(images, labels, host.LabelArray);
            }
            catch
            {
                images.Dispose();
                throw;
            }
        }
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>An unbiased integer in [0, bound) (rejection sampling).</summary>
    private static ulong Below(ref ulong state, ulong bound)
    {
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = Next(ref state); while (r >= limit);
        return r % bound;
    }
}
