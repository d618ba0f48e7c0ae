using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Watches gradients and weights for NaN/∞ without a host synchronisation per step: <see cref="MarkGradients"/> and
/// <see cref="MarkWeights"/> only enqueue a scan that sets a device-side flag of the current <see cref="Row"/> (one row
/// per batch of a logging interval); <see cref="ReadRowsAndClear"/> copies every row back at once, so the first bad batch
/// is known exactly even though the flags are read once per interval.
/// </summary>
public sealed class NonFiniteGuard : IDisposable
{
    private const int GradientSlot = 0, WeightSlot = 1, Slots = 2;
    private readonly Tensor flags;
    private int row;

    /// <summary>Allocates <paramref name="rows"/> rows of flags on <paramref name="device"/>, cleared.</summary>
    /// <param name="device">The device the scanned tensors live on.</param>
    /// <param name="rows">Number of flag rows (e.g. one per batch of a logging interval); positive.</param>
    public NonFiniteGuard(Device device, int rows = 1)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        Rows = rows;
        using (TensorScope.Suspend()) flags = Tensor.Zeros(device, rows * Slots);
    }

    /// <summary>How many rows of flags the guard holds.</summary>
    public int Rows { get; }

    /// <summary>The row the next scans mark (0-based, below <see cref="Rows"/>).</summary>
    public int Row
    {
        get => row;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(value, Rows);
            row = value;
        }
    }

    /// <summary>Enqueues a scan of every gradient of <paramref name="parameters"/> (those that have one).</summary>
    /// <param name="parameters">The parameters whose gradients are scanned.</param>
    public void MarkGradients(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var gradients = parameters.Select(p => p.Grad).OfType<Tensor>().Where(g => g.Length > 0).ToList();
        if (gradients.Count > 0) Ops.MarkNonFinite(gradients, flags, row * Slots + GradientSlot);
    }

    /// <summary>Enqueues a scan of the values of <paramref name="tensors"/>.</summary>
    /// <param name="tensors">The tensors to scan.</param>
    public void MarkWeights(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var scanned = tensors.Where(t => t.Length > 0).ToList();
        if (scanned.Count > 0) Ops.MarkNonFinite(scanned, flags, row * Slots + WeightSlot);
    }

    /// <summary>The current row's gradient flag as a one-element view (non-zero once a gradient scan found NaN/∞); dispose the view.</summary>
    /// <returns>A view into the guard's flags, for an optimizer that decides on the device whether to skip its step.</returns>
    public Tensor GradientFlag() => flags.Slice(row * Slots + GradientSlot, 1);

    /// <summary>On the device: adds 1 to <paramref name="counter"/>[0] when the current row's gradient flag is set, then clears the flag.</summary>
    /// <param name="counter">A one-element counter on the guard's device.</param>
    public void CountGradientFlagAndClear(Tensor counter)
    {
        ArgumentNullException.ThrowIfNull(counter);
        if (counter.Length != 1 || !ReferenceEquals(counter.Device, flags.Device))
            throw new ArgumentException($"NonFiniteGuard: the counter must be one element on the guard's device, got {Tensor.Format(counter.Shape)}.", nameof(counter));
        using var flag = GradientFlag();
        Ops.CountFlagAndClear(flag, counter);
    }

    /// <summary>Waits for the scans enqueued so far (one synchronisation), returns what each row found and clears the flags.</summary>
    /// <returns>One entry per row: the kinds of non-finite values found, <see cref="NonFiniteKinds.None"/> if none.</returns>
    public NonFiniteKinds[] ReadRowsAndClear()
    {
        var host = flags.ToArray();
        var found = new NonFiniteKinds[Rows];
        for (int r = 0; r < Rows; r++)
            found[r] = (host[r * Slots + GradientSlot] != 0f ? NonFiniteKinds.Gradients : NonFiniteKinds.None)
                | (host[r * Slots + WeightSlot] != 0f ? NonFiniteKinds.Weights : NonFiniteKinds.None);
        if (found.Any(f => f != NonFiniteKinds.None)) Ops.FillInPlace(flags, 0f);
        return found;
    }

    /// <summary>Waits for the scans enqueued so far, returns what any row found and clears the flags.</summary>
    /// <returns>The union of the kinds found over all rows.</returns>
    public NonFiniteKinds ReadAndClear() => ReadRowsAndClear().Aggregate(NonFiniteKinds.None, (a, b) => a | b);

    /// <summary>Whether any element of <paramref name="tensors"/> is not finite (synchronises once).</summary>
    /// <param name="tensors">The tensors to check.</param>
    /// <returns>True when some element is NaN or infinite.</returns>
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
    /// <param name="epoch">1-based epoch of the bad batch.</param>
    /// <param name="batch">1-based batch within the epoch.</param>
    /// <param name="kinds">What was non-finite.</param>
    /// <param name="saved">What was saved before stopping, completing the message.</param>
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
