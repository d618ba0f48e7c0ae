using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Watches gradients and weights for NaN/∞ without a host synchronisation per step: <see cref="MarkGradients"/> and
/// <see cref="MarkWeights"/> only enqueue a scan that sets a device-side flag; <see cref="ReadAndClear"/> copies the
/// two flags back once, where the training loop already waits for the device (after a batch's loss is read).
/// </summary>
public sealed class NonFiniteGuard : IDisposable
{
    private const int GradientSlot = 0, WeightSlot = 1;
    private readonly Device device;
    private readonly Tensor flags;

    /// <summary>Allocates the flags on <paramref name="device"/>, cleared.</summary>
    public NonFiniteGuard(Device device)
    {
        this.device = device ?? throw new ArgumentNullException(nameof(device));
        using (TensorScope.Suspend()) flags = Tensor.Zeros(device, 2);
    }

    /// <summary>Enqueues a scan of every gradient of <paramref name="parameters"/> (those that have one).</summary>
    public void MarkGradients(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
            if (p.Grad is { } g) Ops.MarkNonFinite(g, flags, GradientSlot);
    }

    /// <summary>Enqueues a scan of the values of <paramref name="tensors"/>.</summary>
    public void MarkWeights(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors) Ops.MarkNonFinite(t, flags, WeightSlot);
    }

    /// <summary>Waits for the scans enqueued so far, returns what they found and clears the flags.</summary>
    public NonFiniteKinds ReadAndClear()
    {
        var host = flags.ToArray();
        var found = (host[GradientSlot] != 0f ? NonFiniteKinds.Gradients : NonFiniteKinds.None)
            | (host[WeightSlot] != 0f ? NonFiniteKinds.Weights : NonFiniteKinds.None);
        if (found != NonFiniteKinds.None) Ops.FillInPlace(flags, 0f);
        return found;
    }

    /// <summary>Whether any element of <paramref name="tensors"/> is not finite (synchronises once).</summary>
    public bool AnyNonFinite(IEnumerable<Tensor> tensors)
    {
        MarkWeights(tensors);
        return ReadAndClear() != NonFiniteKinds.None;
    }

    /// <summary>Frees the flags.</summary>
    public void Dispose() => flags.Dispose();
}

/// <summary>What a <see cref="NonFiniteGuard"/> found.</summary>
[Flags]
public enum NonFiniteKinds
{
    /// <summary>Everything finite.</summary>
    None = 0,

    /// <summary>A gradient held NaN or ∞.</summary>
    Gradients = 1,

    /// <summary>A weight (after an update) held NaN or ∞.</summary>
    Weights = 2,

    /// <summary>The loss was NaN or ∞.</summary>
    Loss = 4,
}

/// <summary>Training met a NaN or infinite loss, gradient or weight and stopped; nothing non-finite was saved.</summary>
public sealed class NonFiniteException : InvalidOperationException
{
    /// <summary>Creates the exception for the 1-based <paramref name="epoch"/> and <paramref name="batch"/>.</summary>
    public NonFiniteException(int epoch, int batch, NonFiniteKinds kinds, string saved)
        : base($"Non-finite {Describe(kinds)} at epoch {epoch}, batch {batch}: training stopped; {saved}. Lower the learning rate, check the input data, or pass --skip-nonfinite to skip such updates.")
    {
        Epoch = epoch;
        Batch = batch;
        Kinds = kinds;
    }

    /// <summary>1-based epoch of the batch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch within the epoch.</summary>
    public int Batch { get; }

    /// <summary>What was non-finite.</summary>
    public NonFiniteKinds Kinds { get; }

    private static string Describe(NonFiniteKinds kinds) =>
        string.Join(" and ", new[] { (NonFiniteKinds.Loss, "loss"), (NonFiniteKinds.Gradients, "gradients"), (NonFiniteKinds.Weights, "weights") }
            .Where(k => kinds.HasFlag(k.Item1)).Select(k => k.Item2).DefaultIfEmpty("values"));
}
