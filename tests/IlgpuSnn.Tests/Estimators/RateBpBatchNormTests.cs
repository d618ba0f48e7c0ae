using IlgpuSnn.Tools.GradCheck;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// RateBP's two BatchNorm modes against values computed by hand from the official code's definitions (spec §7):
/// 1 → 1 (BN) → LIF → read-out, B = 2, T = 2, x[t][b] = [[1, 3], [1, 5]], W = 0.8, γ = 1.5, β = 0.5, ε = 0.01 (large
/// enough that adding it once or twice shows), λ = 0.5, soft reset detached, sigmoid α = 4, w_o = 1.2, targets (1, 0),
/// mean-output ½(ō − y)² averaged over the batch.
/// 'm' (folded): the spike pass normalises z = W·x over all four values (μ = 2, σ² = 1.76): u = (−0.853, −1.279) and
/// (0.951, 3.230), so r = (0, 0.5); the rate pass normalises c = W·x̄ = (0.8, 3.2) with the same μ and σ².
/// 's' (per step): step statistics (1.6, 0.64) and (2.4, 2.56): u = (−0.988, −1.491) and (1.988, 2.491), r = (0, 1);
/// the rate pass uses μ = (1.6 + 2.4)/2 and v = 2/(1/0.65 + 1/2.57) = 1.037578 (harmonic mean of σ²_t + ε), then
/// divides by sqrt(v + ε). Eligibility elig = (1/T) Σ_t σ'(u[t] − 1)·e[t], e = (1, 1.5).
/// Gradients: δ_b = w_o·(ō_b − y_b)/B·elig_b, dβ = Σ δ, dγ = Σ δ·x̂, dc = (γ/s)[δ − mean δ − x̂·mean(δ x̂)], dW = Σ dc·x̄.
/// Running statistics: PyTorch's update (momentum 0.1, unbiased variance) once over T·B ('m') or once per step ('s').
/// </summary>
public sealed class RateBpBatchNormTests(TestDevice fixture)
{
    private const string Json = """
        {"estimator": "ratebp", "loss": "mean-output",
         "neuron": {"decay": 0.5, "threshold": 1.0, "reset": "soft", "detach_reset": true, "surrogate": "sigmoid", "alpha": 4.0},
         "inputs": [[[1.0], [3.0]], [[1.0], [5.0]]], "target": [[1.0], [0.0]],
         "layers": [{"weight": [[0.8]], "batchnorm": {"gamma": [1.5], "beta": [0.5], "eps": 0.01}}], "readout": [[1.2]],
         "options": {"loss_kind": "half-se"BNSTATS}}
        """;

    [Theory]
    // mode, loss, dW, dγ, dβ, dw_o, running mean, running var
    [InlineData("folded", 0.34, 0.0565497234, 0.1617664815, 0.1775041211, 0.15, 0.2, 1.1346666667)]
    [InlineData("per-step", 0.61, -0.0268594196, 0.0382408755, 0.0316047564, 0.6, 0.384, 1.4372)]
    public void Modes_match_the_official_definitions(string mode, double loss, double dW, double dGamma, double dBeta, double dReadout,
        double runningMean, double runningVar)
    {
        var result = GradCheckRunner.Run(fixture.Device, GradCheckCase.Parse(Json.Replace("BNSTATS", $", \"bn_stats\": \"{mode}\"", StringComparison.Ordinal)));
        Close(loss, result.Loss, "loss");
        Close(dW, result.Gradients.Layers[0][0][0], "dW");
        Close(dGamma, result.Gradients.BatchNormGamma![0]![0], "dgamma");
        Close(dBeta, result.Gradients.BatchNormBeta![0]![0], "dbeta");
        Close(dReadout, result.Gradients.Readout[0][0], "dw_o");
        Close(runningMean, result.RunningMean![0]![0], "running mean");
        Close(runningVar, result.RunningVariance![0]![0], "running var");
    }

    [Fact]
    public void Default_is_the_official_m_mode()
    {
        var byDefault = GradCheckRunner.Run(fixture.Device, GradCheckCase.Parse(Json.Replace("BNSTATS", "", StringComparison.Ordinal)));
        Close(0.0565497234, byDefault.Gradients.Layers[0][0][0], "dW");
        Close(1.1346666667, byDefault.RunningVariance![0]![0], "running var");
    }

    private static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 + 2e-5 * Math.Abs(expected), $"{what}: expected {expected}, got {actual}");
}
