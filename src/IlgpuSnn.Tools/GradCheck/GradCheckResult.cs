namespace IlgpuSnn.Tools.GradCheck;

/// <summary>Gradients of one update (or their sum): per spiking layer [out][in], the read-out, auxiliary heads.</summary>
/// <param name="Layers">dW of each spiking layer.</param>
/// <param name="Readout">dW of the read-out.</param>
/// <param name="AuxHeads">dW of each auxiliary head by block index (TT-LBPTT), else empty.</param>
public sealed record GradientSet(double[][][] Layers, double[][] Readout, IReadOnlyDictionary<int, double[][]> AuxHeads);

/// <summary>The outcome of a gradient check.</summary>
/// <param name="Loss">The loss at the fixed weights.</param>
/// <param name="Spikes">Per spiking layer, [T][n].</param>
/// <param name="Gradients">The gradient (sum of all updates).</param>
/// <param name="StepGradients">For methods that update inside the sequence, one set per update; else null.</param>
public sealed record GradCheckResult(double Loss, double[][][] Spikes, GradientSet Gradients, IReadOnlyList<GradientSet>? StepGradients);
