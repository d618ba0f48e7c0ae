using System.Text.Json;
using IlgpuSnn.Formats;
using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Data;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>Resume refuses what would mix runs or lose work, validates the whole checkpoint first, and cleans up after kills.</summary>
public sealed class CheckpointResumeTests(TestDevice fixture)
{
    private static readonly ImageDataset Train = TrainingFixtures.Synthetic(64, 1);
    private static readonly ImageDataset Test = TrainingFixtures.Synthetic(16, 2);

    private IReadOnlyList<EpochMetrics> Fit(TrainingOptions options, float lr = 0.1f, Action<SpikingNetwork>? inspect = null)
    {
        using var network = TrainingFixtures.PlainMlp(fixture.Device);
        using var method = new Bptt();
        using var sgd = new Sgd(network.Parameters, lr, momentum: 0.9f);
        var history = new Trainer(network, method, sgd, new DirectEncoder(), options).Fit(Train, Test, cancellationToken: TestContext.Current.CancellationToken);
        inspect?.Invoke(network);
        return history;
    }

    private static TrainingOptions Options(string dir, int epochs = 1) => new() { Epochs = epochs, BatchSize = 16, TimeSteps = 3, Seed = 2, OutputDirectory = dir };

    [Fact]
    public void Resuming_without_a_checkpoint_is_an_error()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => Fit(Options(tmp.File("typo")) with { Resume = true }));
        Assert.Contains("typo", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_existing_checkpoint_is_never_replaced_without_resume_or_overwrite()
    {
        using var tmp = new TempFolder();
        Fit(Options(tmp.Path));
        var bytes = File.ReadAllBytes(tmp.File(Trainer.CheckpointFile));
        var e = Assert.Throws<IOException>(() => Fit(Options(tmp.Path)));
        Assert.Contains("--overwrite", e.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(tmp.File(Trainer.CheckpointFile)));
        Fit(Options(tmp.Path) with { Overwrite = true, Seed = 9 });
        Assert.NotEqual(bytes, File.ReadAllBytes(tmp.File(Trainer.CheckpointFile)));
    }

    [Fact]
    public void Other_settings_are_refused_with_every_difference_unless_forced()
    {
        using var tmp = new TempFolder();
        Fit(Options(tmp.Path));
        var e = Assert.Throws<ResumeMismatchException>(() => Fit(Options(tmp.Path, 2) with { Resume = true, TimeSteps = 4, BatchSize = 8 }, lr: 0.2f));
        Assert.Equal(3, e.Differences.Count);
        Assert.Contains(e.Differences, d => d.StartsWith("time_steps: checkpoint 3, this run 4", StringComparison.Ordinal));
        Assert.Contains(e.Differences, d => d.StartsWith("batch_size:", StringComparison.Ordinal));
        Assert.Contains(e.Differences, d => d.StartsWith("learning_rate:", StringComparison.Ordinal));
        var history = Fit(Options(tmp.Path, 2) with { Resume = true, TimeSteps = 4, ForceResume = true });
        Assert.Equal(2, history.Count);
        // More epochs with the same settings is a continuation, not a mix.
        Assert.Equal(3, Fit(Options(tmp.Path, 3) with { Resume = true, TimeSteps = 4 }).Count);
    }

    [Theory]
    [InlineData("epochs_done", "-5")]
    [InlineData("epochs_done", "one")]
    [InlineData("epochs_done", "99999999999")]
    [InlineData("step", "1.5")]
    [InlineData("optimizer_steps", "")]
    [InlineData("history", "{\"not\": \"a list\"}")]
    [InlineData("history", "[]")]
    [InlineData("format", "something-else")]
    [InlineData("epochs_done", null)]
    [InlineData("history", null)]
    public void Bad_metadata_is_refused_before_any_weight_changes(string key, string? value)
    {
        using var tmp = new TempFolder();
        Fit(Options(tmp.Path));
        var path = tmp.File(Trainer.CheckpointFile);
        Rewrite(path, metadata =>
        {
            if (value is null) metadata.Remove(key);
            else metadata[key] = value;
        });
        var e = Assert.Throws<InvalidDataException>(() => Fit(Options(tmp.Path, 2) with { Resume = true }));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nan_in_a_checkpoint_is_refused_and_the_network_keeps_its_weights()
    {
        using var tmp = new TempFolder();
        Fit(Options(tmp.Path));
        var path = tmp.File(Trainer.CheckpointFile);
        var stored = SafeTensors.Load(path, out var metadata);
        var name = stored.Keys.First(k => k.StartsWith("layers.", StringComparison.Ordinal));
        stored[name].Data[3] = float.NaN;
        using (var scope = TensorScope.Begin())
            SafeTensors.Save(path, stored.Select(kv => KeyValuePair.Create(kv.Key, Tensor.FromArray(fixture.Device, kv.Value.Data, kv.Value.Shape))), metadata);

        using var network = TrainingFixtures.PlainMlp(fixture.Device);
        var before = TrainingFixtures.Weights(network);
        using var method = new Bptt();
        using var sgd = new Sgd(network.Parameters, 0.1f, momentum: 0.9f);
        var trainer = new Trainer(network, method, sgd, new DirectEncoder(), Options(tmp.Path, 2) with { Resume = true });
        var e = Assert.Throws<InvalidDataException>(() => trainer.Fit(Train, Test, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.Contains("non-finite", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, TrainingFixtures.Weights(network));
    }

    [Fact]
    public void Stale_temp_files_are_removed_and_metrics_agree_with_the_checkpoint_after_resume()
    {
        using var tmp = new TempFolder();
        Fit(Options(tmp.Path));
        // A kill between the metrics and the checkpoint commit leaves metrics one epoch ahead, plus temp files.
        var metrics = File.ReadAllText(tmp.File(Trainer.MetricsJsonFile));
        File.WriteAllText(tmp.File(Trainer.MetricsJsonFile), metrics.Replace("\"epochs\": 1", "\"epochs\": 2", StringComparison.Ordinal));
        File.WriteAllText(tmp.File(Trainer.MetricsCsvFile), File.ReadAllText(tmp.File(Trainer.MetricsCsvFile)) + "2,9,9,9,9,9,9,9\n");
        File.WriteAllBytes(tmp.File($".{Trainer.CheckpointFile}.{Guid.NewGuid():N}.tmp"), new byte[1000]);
        File.WriteAllBytes(tmp.File($".{Trainer.MetricsJsonFile}.{Guid.NewGuid():N}.tmp"), new byte[10]);
        File.WriteAllText(tmp.File("notes.tmp"), "mine");

        var history = Fit(Options(tmp.Path, 1) with { Resume = true });
        Assert.Single(history);
        Assert.Equal(new[] { "metrics.csv", "metrics.json", "notes.tmp", Trainer.CheckpointFile }.Order(StringComparer.Ordinal),
            Directory.GetFiles(tmp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var json = JsonDocument.Parse(File.ReadAllText(tmp.File(Trainer.MetricsJsonFile)));
        Assert.Equal(1, json.RootElement.GetProperty("epochs").GetInt32());
        Assert.Equal(2, File.ReadAllLines(tmp.File(Trainer.MetricsCsvFile)).Length);
    }

    private void Rewrite(string path, Action<Dictionary<string, string>> change)
    {
        var stored = SafeTensors.Load(path, out var metadata);
        var copy = new Dictionary<string, string>(metadata);
        change(copy);
        using var scope = TensorScope.Begin();
        SafeTensors.Save(path, stored.Select(kv => KeyValuePair.Create(kv.Key, Tensor.FromArray(fixture.Device, kv.Value.Data, kv.Value.Shape))), copy);
    }
}
