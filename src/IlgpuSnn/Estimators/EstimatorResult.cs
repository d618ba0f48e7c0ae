using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// The outcome of one sequence, kept on the device so that an iteration needs no host synchronisation: the loss and
/// Σ_t o[t] stay device tensors until someone reads them (<see cref="Loss"/> and <see cref="OutputSum"/> read once and
/// keep the host copy). Disposing frees the two tensors (a <see cref="TensorScope"/> open around the run frees them too).
/// </summary>
public sealed class EstimatorResult : IDisposable
{
    private float? loss;
    private float[]? outputSum;

    /// <summary>Wraps the device totals of a sequence; the result owns them.</summary>
    /// <param name="lossTensor">The loss value, [1].</param>
    /// <param name="outputSumTensor">Σ_t o[t], [B, classes].</param>
    public EstimatorResult(Tensor lossTensor, Tensor outputSumTensor)
    {
        LossTensor = lossTensor ?? throw new ArgumentNullException(nameof(lossTensor));
        OutputSumTensor = outputSumTensor ?? throw new ArgumentNullException(nameof(outputSumTensor));
        if (lossTensor.Length != 1) throw new ArgumentException($"EstimatorResult: the loss must have one element, got {Tensor.Format(lossTensor.Shape)}.", nameof(lossTensor));
    }

    /// <summary>The loss value of the sequence on the device, [1] (for methods that update inside the sequence: the sum of the pieces).</summary>
    public Tensor LossTensor { get; }

    /// <summary>Σ_t o[t] per sample on the device, [B, classes]: the prediction is its argmax.</summary>
    public Tensor OutputSumTensor { get; }

    /// <summary>The loss value, read from the device on first use (one synchronisation).</summary>
    public float Loss => loss ??= LossTensor.Item();

    /// <summary>Σ_t o[t] per sample, [B·classes] row-major, read from the device on first use (one synchronisation).</summary>
    public float[] OutputSum => outputSum ??= OutputSumTensor.ToArray();

    /// <summary>Frees the two device tensors (host copies already read stay available).</summary>
    public void Dispose()
    {
        LossTensor.Dispose();
        OutputSumTensor.Dispose();
    }
}
