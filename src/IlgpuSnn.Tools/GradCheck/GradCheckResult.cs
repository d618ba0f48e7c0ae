namespace IlgpuSnn.Tools.GradCheck;

/// <summary>
/// Gradients of one update (or their sum): per spiking layer [out][in], the read-out, auxiliary heads; and, parallel to
/// the layers, the biases and BatchNorm γ/β (null where a layer has none).
/// </summary>
/// <param name="Layers">dW of each spiking layer.</param>
/// <param name="Readout">dW of the read-out.</param>
/// <param name="AuxHeads">dW of each auxiliary head by block index (TT-LBPTT), else empty.</param>
/// <param name="Biases">db of each spiking layer, or null per layer without a bias (null: no layer has one).</param>
/// <param name="BatchNormGamma">dγ of each spiking layer's BatchNorm, or null.</param>
/// <param name="BatchNormBeta">dβ of each spiking layer's BatchNorm, or null.</param>
/// <param name="ReadoutBias">db of the read-out, or null.</param>
public sealed record GradientSet(double[][][] Layers, double[][] Readout, IReadOnlyDictionary<int, double[][]> AuxHeads,
    double[]?[]? Biases = null, double[]?[]? BatchNormGamma = null, double[]?[]? BatchNormBeta = null, double[]? ReadoutBias = null);

/// <summary>The outcome of a gradient check.</summary>
/// <param name="Loss">The loss at the fixed weights.</param>
/// <param name="Spikes">Per spiking layer, [T][B·n] (sample-major within a step).</param>
/// <param name="Gradients">The gradient (sum of all updates).</param>
/// <param name="StepGradients">For methods that update inside the sequence, one set per update; else null.</param>
/// <param name="Batch">Samples B per step; spikes are printed per sample when the case gave a batch.</param>
/// <param name="RunningMean">Each spiking layer's BatchNorm running mean after the pass, or null.</param>
/// <param name="RunningVariance">Each spiking layer's BatchNorm running (unbiased) variance after the pass, or null.</param>
public sealed record GradCheckResult(double Loss, double[][][] Spikes, GradientSet Gradients, IReadOnlyList<GradientSet>? StepGradients,
    int Batch = 1, double[]?[]? RunningMean = null, double[]?[]? RunningVariance = null);
