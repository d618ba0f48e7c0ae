using IlgpuSnn.Tools.GradCheck;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// `snn gradcheck` against the hand-computed vectors of spec §12 (tests 1, 3, 4, 5), typed in from the spec.
/// </summary>
public sealed class GradCheckVectorTests(TestDevice fixture)
{
    private const double Tol = 1e-5;

    private static string Test1(string estimator, string loss = "per-step", bool detach = false, string options = "{}") =>
        $$"""
        {"estimator": "{{estimator}}", "loss": "{{loss}}",
         "neuron": {"decay": 0.5, "threshold": 1.0, "reset": "soft", "detach_reset": {{(detach ? "true" : "false")}}, "surrogate": "sigmoid", "alpha": 4.0},
         "inputs": [[1.5], [0.4], [1.0]], "target": [0.5], "layers": [[[0.8]]], "readout": [[1.0]], "options": {{options}}}
        """;

    private static string Test2Net(string estimator, double decay, double[][] inputs, string loss = "per-step") =>
        $$"""
        {"estimator": "{{estimator}}", "loss": "{{loss}}", "neuron": {"decay": {{decay}}},
         "inputs": {{System.Text.Json.JsonSerializer.Serialize(inputs)}}, "target": [1.0],
         "layers": [[[0.9, 0.4], [-0.3, 1.2]], [[0.7, 0.6]]], "readout": [[1.5]]}
        """;

    private GradCheckResult Run(string json) => GradCheckRunner.Run(fixture.Device, GradCheckCase.Parse(json));

    [Theory]
    [InlineData("bptt", "per-step", false, "{}", 0.381444, 0.333333)]
    [InlineData("bptt", "per-step", true, "{}", 0.413842, 0.333333)]
    [InlineData("sltt", "per-step", false, "{}", 0.358783, 0.333333)]
    [InlineData("tt-lbptt", "per-step", false, """{"window": 1}""", 0.358783, 0.333333)]
    [InlineData("sltt-k", "per-step", false, """{"k_set": [1]}""", 0.213910, 0.166667)]
    [InlineData("sltt-k", "per-step", false, """{"k_set": [2]}""", -0.021726, 0.0)]
    [InlineData("sltt-k", "per-step", false, """{"k_set": [3]}""", 0.166600, 0.166667)]
    [InlineData("sltt-k", "per-step", false, """{"k_set": [1, 3]}""", 0.380510, 0.333333)]
    [InlineData("tt-lbptt", "per-step", false, """{"window": 2}""", 0.352903, 0.333333)]
    [InlineData("ottt-a", "per-step", false, "{}", 0.358783, 0.291667)]
    [InlineData("ottt-a", "per-step", false, """{"all_trace": true}""", 0.413842, 0.291667)]
    [InlineData("ottt-o", "per-step", false, """{"all_trace": true}""", 0.413842, 0.291667)]
    [InlineData("saf-e", "per-step", false, "{}", 0.413842, 0.291667)]
    [InlineData("bptt", "mean-output", true, "{}", 0.179589, 0.111111)]
    [InlineData("ratebp", "mean-output", true, "{}", 0.166147, 0.111111)]
    [InlineData("ratebp", "mean-output", true, """{"official_scale": true}""", 0.055382, 0.037037)]
    public void Test1_rows(string estimator, string loss, bool detach, string options, double dw, double dv)
    {
        var r = Run(Test1(estimator, loss, detach, options));
        Assert.Equal(dw, r.Gradients.Layers[0][0][0], Tol);
        Assert.Equal(dv, r.Gradients.Readout[0][0], Tol);
        Assert.Equal([1.0, 0.0, 1.0], r.Spikes[0].Select(s => s[0]));
        Assert.Equal(loss == "per-step" ? 0.125 : 0.013889, r.Loss, 1e-5);
    }

    [Theory]
    [InlineData("ottt-o")]
    [InlineData("saf-e")]
    public void Test1_per_step_pieces(string estimator)
    {
        var r = Run(Test1(estimator, options: """{"all_trace": true}"""));
        Assert.NotNull(r.StepGradients);
        Assert.Equal([0.213910, -0.062463, 0.262395], r.StepGradients.Select(g => g.Layers[0][0][0]), new ToleranceComparer(Tol));
        Assert.Equal([0.166667, -0.083333, 0.208333], r.StepGradients.Select(g => g.Readout[0][0]), new ToleranceComparer(Tol));
    }

    [Theory]
    [InlineData("bptt")]
    [InlineData("sltt")]
    [InlineData("ottt-a")]
    [InlineData("ottt-o")]
    [InlineData("saf-e")]
    [InlineData("saf-f")]
    [InlineData("ratebp")]
    [InlineData("tt-lbptt")]
    [InlineData("sltt-k")]
    public void Test4_T1_collapses(string estimator)
    {
        var json = Test2Net(estimator, 0.5, [[1.0, 0.5]], estimator == "ratebp" ? "mean-output" : "per-step").Replace("\"readout\"", estimator == "sltt-k" ? "\"options\": {\"k_set\": [1]}, \"readout\"" : "\"readout\"", StringComparison.Ordinal);
        var r = Run(json);
        AssertMatrix([[-0.718050, -0.359025], [-0.138428, -0.069214]], r.Gradients.Layers[0]);
        AssertMatrix([[-1.067367, 0]], r.Gradients.Layers[1]);
        AssertMatrix([[0]], r.Gradients.Readout);
    }

    [Theory]
    [InlineData("bptt")]
    [InlineData("sltt")]
    [InlineData("ottt-a")]
    public void Test5_lambda0_collapses(string estimator)
    {
        var r = Run(Test2Net(estimator, 0.0, [[1.0, 0.5], [0.2, 1.0], [0.8, 0.3]]));
        AssertMatrix([[-0.277965, -0.230022], [-0.079082, -0.179007]], r.Gradients.Layers[0]);
        AssertMatrix([[-0.355789, -0.279528]], r.Gradients.Layers[1]);
        AssertMatrix([[0]], r.Gradients.Readout);
    }

    [Theory]
    [InlineData("bptt", false)]
    [InlineData("ratebp", false)]
    [InlineData("ratebp", true)]
    public void Test3_ratebp_exactness(string estimator, bool official)
    {
        var json = """
            {"estimator": "ESTIMATOR", "loss": "mean-output", "neuron": {"decay": 0.2, "detach_reset": true},
             "inputs": [[0.9, 0.6], [0.9, 0.6], [0.9, 0.6], [0.9, 0.6]], "target": [1.0],
             "layers": [[[0.8, 0.5], [0.3, 1.1]]], "readout": [[1.2, -0.7]], "options": {"official_scale": OFFICIAL}}
            """.Replace("ESTIMATOR", estimator, StringComparison.Ordinal).Replace("OFFICIAL", official ? "true" : "false", StringComparison.Ordinal);
        var r = Run(json);
        double scale = official ? 0.25 : 1.0;
        AssertMatrix([[-0.189438 * scale, -0.126292 * scale], [0.106917 * scale, 0.071278 * scale]], r.Gradients.Layers[0]);
        AssertMatrix([[-0.15 * scale, -0.075 * scale]], r.Gradients.Readout);
        Assert.Equal([1.0, 1.0, 1.0, 1.0], r.Spikes[0].Select(s => s[0]));
        Assert.Equal([0.0, 1.0, 0.0, 1.0], r.Spikes[0].Select(s => s[1]));
    }

    [Theory]
    [InlineData("""{"estimator": "nope", "inputs": [[1]], "target": [1], "layers": [[[1]]], "readout": [[1]]}""", "unknown estimator")]
    [InlineData("""{"inputs": [[1]], "target": [1], "layers": [[[1, 2]]], "readout": [[1]]}""", "layers[0]")]
    [InlineData("""{"inputs": [[1]], "target": [1, 2], "layers": [[[1]]], "readout": [[1]]}""", "target")]
    [InlineData("""{"inputs": [[1]], "target": [1], "layers": [[[1]]], "readout": [[1]], "neuron": {"surrogate": "tanh"}}""", "tanh")]
    [InlineData("""{"inputs": [[1]], "target": [1], "layers": [[[1]]], "readout": [[1]], "neuron": {"reset": "medium"}}""", "reset")]
    [InlineData("""{"inputs": [[1]], "target": [1], "layers": [[[1]]], "readout": [[1]], "loss": "l1"}""", "loss")]
    [InlineData("""{"inputs": [[1]], "target": [1], "layers": [[[1]]], "readout": [[1]], "typo": 1}""", "typo")]
    [InlineData("""{"inputs": [[1], [1, 2]], "target": [1], "layers": [[[1]]], "readout": [[1]]}""", "inputs")]
    [InlineData("""{"target": [1], "layers": [[[1]]], "readout": [[1]]}""", "inputs")]
    [InlineData("""{"estimator": "sltt-k", "inputs": [[1]], "target": [1], "layers": [[[1]]], "readout": [[1]], "options": {"k_set": [2]}}""", "k_set")]
    [InlineData("not json", "JSON")]
    public void Malformed_cases_are_rejected_with_the_reason(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => GradCheckCase.Parse(json));
        Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static void AssertMatrix(double[][] expected, double[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], new ToleranceComparer(Tol));
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol;

        public int GetHashCode(double obj) => 0;
    }
}
