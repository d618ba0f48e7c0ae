using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// The running totals of one sequence on the device: the loss value (the sum of its pieces for methods that update
/// inside the sequence) and Σ_t o[t]. They are added to by kernels, so a step never waits for the device; the
/// <see cref="EstimatorResult"/> they become is read where the caller chooses (once per logging interval in training).
/// </summary>
public sealed class SequenceTotals
{
    private readonly Device device;
    private readonly int rows;

    internal SequenceTotals(Device device, int batch, int classes)
    {
        this.device = device;
        rows = batch;
        Loss = Tensor.Zeros(device, 1);
        Outputs = Tensor.Zeros(device, batch, classes);
    }

    /// <summary>The loss so far, [1].</summary>
    public Tensor Loss { get; }

    /// <summary>Σ_t o[t] so far, [B, classes].</summary>
    public Tensor Outputs { get; }

    /// <summary>Loss += <paramref name="value"/> ([1]), on the device.</summary>
    public void AddLoss(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Ops.AddInPlace(Loss, value);
    }

    /// <summary>Loss = <paramref name="value"/> ([1]), on the device.</summary>
    public void SetLoss(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length != 1) throw new ArgumentException($"SequenceTotals: a loss has one element, got {Tensor.Format(value.Shape)}.", nameof(value));
        Elementwise.Copy(device, value.View, Loss.View);
    }

    /// <summary>
    /// Adds read-outs [k·B, C] (k steps, time-major) into Σ_t o[t], one step after the other (the order a host loop
    /// over the steps would add them in).
    /// </summary>
    public void AddOutputs(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        long n = Outputs.Length;
        if (logits.Length % n != 0)
            throw new ArgumentException($"SequenceTotals: read-outs {Tensor.Format(logits.Shape)} are not steps of [{rows}, {Outputs.Dim(1)}].", nameof(logits));
        for (long start = 0; start < logits.Length; start += n)
            Elementwise.AddInPlace(device, Outputs.View, logits.View.SubView(start, n));
    }

    /// <summary>The totals as the sequence's result (which then owns them).</summary>
    public EstimatorResult Result() => new(Loss, Outputs);
}
