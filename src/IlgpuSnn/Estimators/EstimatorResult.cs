namespace IlgpuSnn.Estimators;

/// <summary>The outcome of one sequence.</summary>
/// <param name="Loss">The loss value of the sequence (for methods that update inside the sequence: the sum of the pieces).</param>
/// <param name="OutputSum">Σ_t o[t] per sample, [B·classes] row-major: the prediction is its argmax.</param>
public sealed record EstimatorResult(float Loss, float[] OutputSum);
