namespace IlgpuSnn;

/// <summary>The loss ℓ applied to one read-out.</summary>
public enum Criterion
{
    /// <summary>Softmax cross-entropy against class labels, averaged over the batch.</summary>
    CrossEntropy,

    /// <summary>½‖o − y‖² against target vectors, averaged over the batch.</summary>
    HalfSquaredError,

    /// <summary>PyTorch's MSELoss: the mean over the C outputs of (o − y)², averaged over the batch, against target vectors (one-hot rows for labels).</summary>
    SquaredError,

    /// <summary>
    /// The SLTT/OTTT recipe (1 − λ)·CE(o, label) + λ·MSE(o, onehot(label)) against class labels, MSE as in
    /// <see cref="SquaredError"/>, λ = <see cref="SequenceLoss.MseWeight"/>.
    /// </summary>
    CrossEntropyWithSquaredError,
}
