using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// The running totals of one sequence on the device: the loss value (the sum of its pieces for methods that update
/// inside the sequence) and Σ_t o[t]. They are added to by kernels, so a step never waits for the device; the
/// <see cref="EstimatorResult"/> they become is read where the caller chooses (once per logging interval in training).
/// </summary>
public sealed class SequenceTotals
{
    private readonly int rows;
    private readonly Tensor loss;
    private readonly Tensor outputs;
    private bool hasLoss;
    private bool hasOutputs;
    private Tensor? unitSeed;

    internal SequenceTotals(Device device, int batch, int classes)
    {
        rows = batch;
        // Not zeroed: the first value written replaces them (one launch fewer per total than zeros plus an addition).
        loss = Tensor.Empty(device, 1);
        outputs = Tensor.Empty(device, batch, classes);
    }

    /// <summary>The loss so far, [1].</summary>
    public Tensor Loss
    {
        get
        {
            if (!hasLoss) ZeroLoss();
            return loss;
        }
    }

    /// <summary>Σ_t o[t] so far, [B, classes].</summary>
    public Tensor Outputs
    {
        get
        {
            if (!hasOutputs) ZeroOutputs();
            return outputs;
        }
    }

    /// <summary>Loss += <paramref name="value"/> ([1]), on the device.</summary>
    /// <param name="value">A loss term, [1].</param>
    public void AddLoss(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (hasLoss) Ops.AddInPlace(loss, value);
        else SetLoss(value);
    }

    /// <summary>Loss = <paramref name="value"/> ([1]), on the device.</summary>
    /// <param name="value">The sequence loss, [1].</param>
    public void SetLoss(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length != 1) throw new ArgumentException($"SequenceTotals: a loss has one element, got {Tensor.Format(value.Shape)}.", nameof(value));
        Ops.CopyFrom(value.View, loss);
        hasLoss = true;
    }

    /// <summary>
    /// Adds read-outs [k·B, C] (k steps, time-major) into Σ_t o[t], one step after the other (the order a host loop
    /// over the steps would add them in), in one launch.
    /// </summary>
    /// <param name="logits">Read-outs of k consecutive steps, [k·B, C], time-major.</param>
    public void AddOutputs(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Dim(1) != outputs.Dim(1) || logits.Dim(0) % rows != 0)
            throw new ArgumentException($"SequenceTotals: read-outs {Tensor.Format(logits.Shape)} are not steps of [{rows}, {outputs.Dim(1)}].", nameof(logits));
        if (logits.Dim(0) == 0) return;
        Ops.SumStepsInto(logits, outputs, logits.Dim(0) / rows, accumulate: hasOutputs);
        hasOutputs = true;
    }

    /// <summary>
    /// The read-outs of k steps [k·B, C] and their loss term [1] added together (<see cref="AddOutputs"/> and
    /// <see cref="AddLoss"/> in one launch on the CPU accelerator).
    /// </summary>
    /// <param name="logits">Read-outs of k consecutive steps, [k·B, C], time-major.</param>
    /// <param name="lossTerm">Their loss term, [1].</param>
    internal void AddSteps(Tensor logits, Tensor lossTerm)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(lossTerm);
        if (logits.Rank != 2 || logits.Dim(0) % rows != 0 || logits.Dim(0) == 0 || logits.Dim(1) != outputs.Dim(1) || lossTerm.Length != 1)
        {
            AddOutputs(logits);
            AddLoss(lossTerm);
            return;
        }
        Ops.SumInto((outputs, logits, !hasOutputs, logits.Dim(0) / rows), (loss, lossTerm, !hasLoss, 1));
        hasOutputs = hasLoss = true;
    }

    /// <summary>
    /// A [1] tensor of ones to seed the backward passes of this sequence's loss terms: filled once per sequence rather
    /// than once per backward; freed by <see cref="Result"/>.
    /// </summary>
    internal Tensor UnitSeed
    {
        get
        {
            if (unitSeed is null)
            {
                using (TensorScope.Suspend()) unitSeed = Tensor.Full(loss.Device, 1f, 1);
            }
            return unitSeed;
        }
    }

    /// <summary>The totals as the sequence's result (which then owns them).</summary>
    /// <returns>A result that owns the loss and output-sum tensors.</returns>
    public EstimatorResult Result()
    {
        unitSeed?.Dispose();
        unitSeed = null;
        return new(Loss, Outputs);
    }

    private void ZeroLoss()
    {
        Ops.FillInPlace(loss, 0f);
        hasLoss = true;
    }

    private void ZeroOutputs()
    {
        Ops.FillInPlace(outputs, 0f);
        hasOutputs = true;
    }
}
