using System.Diagnostics;
using IlgpuSnn.Runtime;
using IlgpuSnn.Distributed;

namespace IlgpuSnn.Training;

/// <summary>
/// The one hook of data-parallel training: an optimizer wrapper that, before every <see cref="Step()"/>, makes each
/// gradient the global-batch gradient, Σ_r (n_r/n)·g_r over the ranks (g_r: the gradient of rank r's mean loss over
/// its n_r samples, n = Σ n_r; with equal parts this is the average). Estimators step through it wherever they step
/// (once per sequence, per window, or per time step as OTTT-O and SAF-E do; auxiliary heads are optimizer parameters
/// too), so every method is data-parallel with one all-reduce per bucket per update. Gradients are packed on the
/// device into flat buckets of at most <see cref="BucketBytes"/> (parameters in order; a larger one alone), each bucket
/// is all-reduced once and copied back. A single process steps the inner optimizer unchanged. Disposing the wrapper
/// leaves the inner optimizer alone.
/// </summary>
public sealed class GradientAllReduceOptimizer : IOptimizer
{
    /// <summary>Default bucket size (25 MiB, as PyTorch DDP).</summary>
    public const long DefaultBucketBytes = 25L << 20;

    private readonly IOptimizer inner;
    private readonly ICommunicator communicator;

    /// <summary>Wraps <paramref name="inner"/>; its parameters must live on one device.</summary>
    /// <param name="inner">The optimizer that updates the parameters after the all-reduce.</param>
    /// <param name="communicator">The job's communicator the gradients are reduced over.</param>
    /// <param name="bucketBytes">Largest bucket in bytes; at least 4 (one float).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bucketBytes"/> is less than 4.</exception>
    public GradientAllReduceOptimizer(IOptimizer inner, ICommunicator communicator, long bucketBytes = DefaultBucketBytes)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        this.communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, sizeof(float));
        BucketBytes = bucketBytes;
    }

    /// <summary>Largest bucket in bytes.</summary>
    public long BucketBytes { get; }

    /// <summary>This rank's share n_r/n of the current global batch (the trainer sets it per batch; default 1/ranks).</summary>
    public double LocalShare { get; set; } = double.NaN;

    /// <summary>Bytes all-reduced by this rank so far (its buffer sizes, not the wire traffic of the algorithm).</summary>
    public long BytesAllReduced { get; private set; }

    /// <summary>All-reduce calls so far.</summary>
    public long AllReduceCalls { get; private set; }

    /// <summary>Wall time spent packing, all-reducing and unpacking gradients so far (the device is synchronised first).</summary>
    public TimeSpan CommunicationTime { get; private set; }

    /// <inheritdoc />
    public float LearningRate
    {
        get => inner.LearningRate;
        set => inner.LearningRate = value;
    }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => inner.Parameters;

    /// <inheritdoc />
    public long StepCount
    {
        get => inner.StepCount;
        set => inner.StepCount = value;
    }

    /// <inheritdoc />
    public void Step()
    {
        Synchronize();
        inner.Step();
    }

    /// <inheritdoc />
    public void Step(Tensor skip)
    {
        Synchronize();
        inner.Step(skip);
    }

    /// <summary>
    /// Replaces every present gradient by the global-batch gradient (see the class remarks); nothing to do for a single
    /// process. <see cref="Step()"/> calls it; a caller that inspects the gradients before stepping calls it first.
    /// </summary>
    public void Synchronize()
    {
        if (communicator.Size == 1) return;
        var grads = inner.Parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return;
        var device = grads[0].Device;
        float share = (float)(double.IsNaN(LocalShare) ? 1.0 / communicator.Size : LocalShare);
        device.Synchronize();
        var watch = Stopwatch.StartNew();
        long bucketFloats = Math.Max(1, BucketBytes / sizeof(float));
        for (int first = 0; first < grads.Count;)
        {
            int end = first + 1;
            long length = grads[first].Length;
            while (end < grads.Count && length + grads[end].Length <= bucketFloats) length += grads[end++].Length;
            AllReduceBucket(device, grads, first, end, length, share);
            first = end;
        }
        device.Synchronize();
        CommunicationTime += watch.Elapsed;
    }

    /// <inheritdoc />
    public void ZeroGrad() => inner.ZeroGrad();

    /// <inheritdoc />
    public IEnumerable<KeyValuePair<string, Tensor>> State() => inner.State();

    /// <summary>Nothing to free: buckets return to the pool after each step, and the inner optimizer is the caller's.</summary>
    public void Dispose()
    {
    }

    private void AllReduceBucket(Device device, List<Tensor> grads, int first, int end, long length, float share)
    {
        using (TensorScope.Suspend())
        {
            using var bucket = Tensor.Empty(device, checked((int)length));
            long offset = 0;
            for (int i = first; i < end; i++)
            {
                Ops.ScaleInto(grads[i], bucket.View.SubView(offset, grads[i].Length), share);
                offset += grads[i].Length;
            }
            communicator.AllReduce(bucket, ReduceOperation.Sum);
            offset = 0;
            for (int i = first; i < end; i++)
            {
                Ops.CopyFrom(bucket.View.SubView(offset, grads[i].Length), grads[i]);
                offset += grads[i].Length;
            }
            BytesAllReduced += bucket.Bytes;
            AllReduceCalls++;
        }
    }
}
