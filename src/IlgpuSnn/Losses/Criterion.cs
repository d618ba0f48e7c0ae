namespace IlgpuSnn;

/// <summary>The loss ℓ applied to one read-out.</summary>
public enum Criterion
{
    /// <summary>Softmax cross-entropy against class labels, averaged over the batch.</summary>
    CrossEntropy,

    /// <summary>½‖o − y‖² against target vectors, averaged over the batch.</summary>
    HalfSquaredError,
}
