using IlgpuSnn.Estimators;
using IlgpuSnn.Tools.GradCheck;
using IlgpuSnn.Tests.Reliability;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// Item 7 of the fidelity issue: every method trains with every loss kind it can and refuses the rest in one clear
/// line. The methods that back-propagate or update step by step (tt-lbptt, sltt, sltt-k, ottt-a/o, saf-e) have no ō
/// before the last step, so they refuse the mean-output loss; bptt, saf-f and ratebp take both reductions.
/// </summary>
public sealed class LossSupportTests(TestDevice fixture)
{
    private static readonly string[] StepByStep = ["tt-lbptt", "sltt", "sltt-k", "ottt-a", "ottt-o", "saf-e"];

    public static TheoryData<string, string, string> Combinations()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var name in EstimatorFactory.Names)
            foreach (var reduction in new[] { "per-step", "mean-output" })
                foreach (var kind in new[] { "ce", "mse", "ce+mse" })
                    data.Add(name, reduction, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Every_method_trains_or_refuses_in_one_line(string estimator, string reduction, string lossKind)
    {
        string extra = (lossKind == "ce+mse" ? ", \"mse_weight\": 0.3" : "") + (estimator == "sltt-k" ? ", \"k_set\": [2]" : "");
        string json = $$$"""
            {"estimator": "{{{estimator}}}", "loss": "{{{reduction}}}",
             "inputs": [[[1.5, 0.2], [0.3, 1.1]], [[0.4, 0.9], [1.2, 0.1]]], "target": [[1, 0], [0, 1]],
             "layers": [[[0.8, 0.3], [0.2, 1.1]]], "readout": [[1.0, -0.5], [0.4, 0.9]],
             "options": {"loss_kind": "{{{lossKind}}}"{{{extra}}}}}
            """;
        var parsed = GradCheckCase.Parse(json);
        if (reduction == "mean-output" && StepByStep.Contains(estimator))
        {
            var e = Assert.Throws<ArgumentException>(() => GradCheckRunner.Run(fixture.Device, parsed));
            Assert.DoesNotContain('\n', e.Message);
            Assert.StartsWith($"{estimator} cannot train on the mean-output loss", e.Message, StringComparison.Ordinal);
            Assert.Contains("bptt, saf-f, ratebp", e.Message, StringComparison.Ordinal);
            return;
        }
        var result = GradCheckRunner.Run(fixture.Device, parsed);
        Assert.True(double.IsFinite(result.Loss) && result.Loss > 0, $"loss {result.Loss}");
        Assert.Contains(result.Gradients.Readout.SelectMany(r => r), g => g != 0);
    }

    [Fact]
    public void Train_refuses_before_loading_any_data()
    {
        CliProcess.RequireBuilt();
        using var tmp = new TempFolder();
        var line = CliProcess.AssertOneLineError(
            CliProcess.Run(60, "train", "--dataset", tmp.File("no-such-dataset"), "--out", tmp.File("o"), "--estimator", "ottt-o", "--loss-on", "mean-output"),
            "--loss-on mean-output: ottt-o cannot train on the mean-output loss");
        Assert.Contains("per-step", line, StringComparison.Ordinal);
    }
}
