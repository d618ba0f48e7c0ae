using System.Text.Json.Nodes;
using IlgpuSnn.Tools.GradCheck;
using IlgpuSnn.Tests.Reference;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// The library through <c>snn gradcheck</c>'s JSON against the independent double-precision BatchNorm reference: biases,
/// BatchNorm with per-step and folded statistics, batches of 3, constant and time-varying input, every loss kind;
/// gradients of W, b, γ, β, read-out W and b, the spikes and the running statistics.
/// </summary>
public sealed class BatchNormAgreementTests(TestDevice fixture)
{
    public static TheoryData<string, string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var input in new[] { "varying", "constant" })
        {
            foreach (var loss in new[] { "half-se", "mse", "ce", "ce+mse" })
            {
                data.Add("bptt", "folded", loss, input);
                data.Add("bptt", "per-step", loss, input);
                data.Add("sltt", "per-step", loss, input);
                data.Add("tt-lbptt", "folded", loss, input);
                data.Add("tt-lbptt", "per-step", loss, input);
            }
            data.Add("bptt", "folded:mean-output", "ce", input);
            data.Add("bptt", "per-step:mean-output", "mse", input);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Library_matches_reference(string estimator, string bn, string lossKind, string input)
    {
        var (c, expected) = Case(estimator, bn, lossKind, input);
        var actual = GradCheckRunner.Run(fixture.Device, GradCheckCase.Parse(Json(c)));

        for (int l = 0; l < c.Layers.Length; l++)
            for (int t = 0; t < c.Inputs.Length; t++)
                Assert.Equal(expected.Spikes[l][t].SelectMany(s => s), actual.Spikes[l][t]);
        Assert.Equal(expected.Loss, actual.Loss, 1e-5);
        var g = actual.Gradients;
        for (int l = 0; l < c.Layers.Length; l++)
        {
            Close(expected.Weights[l].SelectMany(r => r), g.Layers[l].SelectMany(r => r), $"W{l}");
            Close(expected.Biases[l], g.Biases![l], $"b{l}");
            Close(expected.Gamma[l], g.BatchNormGamma![l], $"gamma{l}");
            Close(expected.Beta[l], g.BatchNormBeta![l], $"beta{l}");
            Close(expected.RunningMean[l], actual.RunningMean![l], $"running mean {l}");
            Close(expected.RunningVariance[l], actual.RunningVariance![l], $"running var {l}");
        }
        Close(expected.Readout.SelectMany(r => r), g.Readout.SelectMany(r => r), "readout");
        Close(expected.ReadoutBias, g.ReadoutBias, "readout bias");
    }

    [Fact]
    public void Batchnorm_changes_the_gradient_between_modes()
    {
        // The two modes are different computations: a test that passes for both must see them differ.
        var (_, folded) = Case("bptt", "folded", "ce", "varying");
        var (_, perStep) = Case("bptt", "per-step", "ce", "varying");
        Assert.NotEqual(folded.Gamma[0]![0], perStep.Gamma[0]![0], 6);
    }

    [Theory]
    [InlineData("sltt")]
    [InlineData("ottt-a")]
    [InlineData("saf-e")]
    public void Step_by_step_methods_refuse_folded_statistics(string estimator)
    {
        var (c, _) = Case("bptt", "folded", "ce", "varying");
        c.Estimator = estimator;
        var e = Assert.Throws<ArgumentException>(() => GradCheckRunner.Run(fixture.Device, GradCheckCase.Parse(Json(c))));
        Assert.Contains("per step", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"weight\": [[1.0]], \"bias\": [1.0, 2.0]}", "bias has 2 values")]
    [InlineData("{\"weight\": [[1.0]], \"batchnorm\": {\"gamma\": [1.0, 1.0]}}", "gamma and beta need 1")]
    [InlineData("{\"weight\": [[1.0]], \"batchnorm\": {\"eps\": 0}}", "eps must be positive")]
    [InlineData("{\"weight\": [[1.0]], \"scale\": 2}", "unknown key 'scale'")]
    [InlineData("{\"bias\": [1.0]}", "'layers[0].weight' is required")]
    public void Malformed_layer_objects_are_named(string layer, string message)
    {
        string json = "{\"inputs\": [[1.0]], \"target\": [0.5], \"layers\": [" + layer + "], \"readout\": [[1.0]]}";
        var e = Assert.Throws<FormatException>(() => GradCheckCase.Parse(json));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_and_target_rows_must_agree()
    {
        string json = "{\"inputs\": [[[1.0], [0.5]]], \"target\": [[0.5]], \"layers\": [[[1.0]]], \"readout\": [[1.0]]}";
        var e = Assert.Throws<FormatException>(() => GradCheckCase.Parse(json));
        Assert.Contains("batch of 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cross_entropy_needs_one_hot_targets()
    {
        string json = "{\"inputs\": [[1.0]], \"target\": [0.5, 0.5], \"layers\": [[[1.0]]], \"readout\": [[1.0], [0.5]], \"options\": {\"loss_kind\": \"ce\"}}";
        var e = Assert.Throws<FormatException>(() => GradCheckCase.Parse(json));
        Assert.Contains("one-hot", e.Message, StringComparison.Ordinal);
    }

    private static void Close(IEnumerable<double>? expected, IEnumerable<double>? actual, string what)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 2e-4 + 2e-3 * Math.Abs(e[i]), $"{what}[{i}]: expected {e[i]}, got {a[i]}");
    }

    /// <summary>A 3 → 4 (bias, BN) → 3 (BN, no bias) → 3 (read-out with bias) net, T = 4, B = 3, away from spike ties.</summary>
    private static (BatchNormCase, BatchNormResult) Case(string estimator, string bn, string lossKind, string input)
    {
        for (int seed = 1; ; seed++)
        {
            var rng = new Random(seed * 7919 + estimator.Length * 31 + bn.Length * 17 + lossKind.Length * 3 + input.Length);
            double U(double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
            double[][] M(int r, int k, double lo, double hi) => Enumerable.Range(0, r).Select(_ => Enumerable.Range(0, k).Select(_ => U(lo, hi)).ToArray()).ToArray();
            double[] V(int n, double lo, double hi) => Enumerable.Range(0, n).Select(_ => U(lo, hi)).ToArray();
            int T = 4, B = 3, classes = 3;
            var first = M(B, 3, 0, 1.5);
            var inputs = Enumerable.Range(0, T).Select(_ => input == "constant" ? first : M(B, 3, 0, 1.5)).ToArray();
            var target = Enumerable.Range(0, B).Select(b =>
            {
                var y = new double[classes];
                y[(b + seed) % classes] = 1;
                return y;
            }).ToArray();
            var c = new BatchNormCase
            {
                Estimator = estimator,
                Inputs = inputs,
                Target = target,
                Layers =
                [
                    new BatchNormLayer(M(4, 3, -1, 1.2), V(4, -0.3, 0.3), V(4, 0.6, 1.4), V(4, 0.3, 1.0)),
                    new BatchNormLayer(M(3, 4, -1, 1.2), null, V(3, 0.6, 1.4), V(3, 0.3, 1.0), 1e-3),
                ],
                Readout = M(classes, 3, -1, 1),
                ReadoutBias = V(classes, -0.2, 0.2),
                LossKind = lossKind,
                MseWeight = 0.3,
                MeanOutput = bn.EndsWith(":mean-output", StringComparison.Ordinal),
                FoldedStatistics = bn.StartsWith("folded", StringComparison.Ordinal),
                Window = estimator == "tt-lbptt" ? 2 : null,
            };
            var result = BatchNormReference.Run(c);
            if (result.Margin > 2e-3) return (c, result);
        }
    }

    private static string Json(BatchNormCase c)
    {
        static JsonArray A(IEnumerable<double> v) => new(v.Select(x => (JsonNode)x).ToArray());
        static JsonArray M(double[][] m) => new(m.Select(r => (JsonNode)A(r)).ToArray());
        var layers = new JsonArray();
        foreach (var l in c.Layers)
        {
            var o = new JsonObject { ["weight"] = M(l.Weight) };
            if (l.Bias is not null) o["bias"] = A(l.Bias);
            if (l.Gamma is not null) o["batchnorm"] = new JsonObject { ["gamma"] = A(l.Gamma), ["beta"] = A(l.Beta!), ["eps"] = l.Eps };
            layers.Add(o);
        }
        var options = new JsonObject
        {
            ["bn_stats"] = c.FoldedStatistics ? "folded" : "per-step",
            ["loss_kind"] = c.LossKind,
        };
        if (c.LossKind == "ce+mse") options["mse_weight"] = c.MseWeight;
        if (c.Window is { } w) options["window"] = w;
        var readout = new JsonObject { ["weight"] = M(c.Readout) };
        if (c.ReadoutBias is not null) readout["bias"] = A(c.ReadoutBias);
        var root = new JsonObject
        {
            ["estimator"] = c.Estimator,
            ["loss"] = c.MeanOutput ? "mean-output" : "per-step",
            ["neuron"] = new JsonObject { ["decay"] = c.Decay, ["threshold"] = c.Threshold, ["reset"] = c.HardReset ? "hard" : "soft", ["detach_reset"] = c.DetachReset },
            ["inputs"] = new JsonArray(c.Inputs.Select(m => (JsonNode)M(m)).ToArray()),
            ["target"] = M(c.Target),
            ["layers"] = layers,
            ["readout"] = readout,
            ["options"] = options,
        };
        return root.ToJsonString();
    }
}
