using IlgpuSnn.Diagnostics;
using IlgpuSnn.Plotting;
using IlgpuSnn.Tests.Data;

using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Diagnostics;

public sealed class PlottingTests : IDisposable
{
    private readonly TempFolder tmp = new();

    public void Dispose() => tmp.Dispose();

    private static void AssertPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path}: only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }

    [Fact]
    public void Reads_a_trainers_metrics_json_and_draws_every_picture()
    {
        var metrics = tmp.File("run/metrics.json");
        Directory.CreateDirectory(Path.GetDirectoryName(metrics)!);
        File.WriteAllText(metrics, """
            {"estimator": "sltt", "history": [
              {"epoch": 1, "train_loss": 1.5, "train_accuracy": 0.5, "test_loss": 1.2, "test_accuracy": 0.6},
              {"epoch": 2, "train_loss": 0.9, "train_accuracy": 0.7, "test_loss": 0.8, "test_accuracy": 0.75}]}
            """);
        var run = TrainingRun.Read(metrics);
        Assert.Equal("sltt", run.Label);
        Assert.Equal([0.6, 0.75], run.History.Select(h => h.TestAccuracy));
        Assert.Equal([1.5, 0.9], run.History.Select(h => h.TrainLoss));
        AssertPng(SnnPlots.TrainingCurves([run, run with { Label = "other" }], tmp.File("curves.png")));

        var trace = new LayerTrace(1, [[1f, 0f, 1f], [0f, 1f, 0f]], [[0.2f, 0.9f, 0.1f], [0.6f, 0.0f, 0.7f]]);
        AssertPng(SnnPlots.SpikeRaster(trace, tmp.File("raster.png")));
        AssertPng(SnnPlots.MembraneTraces(trace, [0, 2], tmp.File("membrane.png")));
        Assert.Throws<ArgumentOutOfRangeException>(() => SnnPlots.MembraneTraces(trace, [3], tmp.File("bad.png")));
        AssertPng(SnnPlots.FiringRates(new Dictionary<string, double[]> { ["lif1"] = [0.1, 0.2] }, tmp.File("rates.png")));
        AssertPng(SnnPlots.MemoryVersusSteps(new Dictionary<string, (int[], double[])> { ["bptt"] = ([2, 4], [1.0, 2.0]) }, tmp.File("memory.png")));
        AssertPng(SnnPlots.EventFrameStrip(new float[2 * 2 * 4 * 5], 2, 4, 5, tmp.File("frames.png")));
        Assert.Throws<ArgumentException>(() => SnnPlots.EventFrameStrip(new float[7], 2, 4, 5, tmp.File("x.png")));
    }

    [Fact]
    public void A_file_that_is_not_metrics_json_names_itself()
    {
        File.WriteAllText(tmp.File("m.json"), "{\"x\": 1}");
        Assert.Contains("m.json", Assert.Throws<InvalidDataException>(() => TrainingRun.Read(tmp.File("m.json"))).Message, StringComparison.Ordinal);
        File.WriteAllText(tmp.File("n.json"), "{oops");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => TrainingRun.Read(tmp.File("n.json"))).Message, StringComparison.Ordinal);
    }
}
