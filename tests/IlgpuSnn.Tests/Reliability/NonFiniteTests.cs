using System.Text.Json;
using IlgpuSnn.Formats;
using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Data;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>NaN and ∞ are found on the device, stop (or skip) training, never reach a checkpoint or break a metrics file.</summary>
public sealed class NonFiniteTests(TestDevice fixture)
{
    [Theory]
    [InlineData(float.NaN, true)]
    [InlineData(float.PositiveInfinity, true)]
    [InlineData(float.NegativeInfinity, true)]
    [InlineData(float.MaxValue, false)]
    [InlineData(-float.MaxValue, false)]
    [InlineData(1e-45f, false)]
    [InlineData(0f, false)]
    public void The_device_flag_is_set_exactly_for_non_finite_values(float value, bool flagged)
    {
        var device = fixture.Device;
        foreach (bool host in new[] { true, false })
        {
            bool saved = device.Launch.UseHostKernels;
            device.Launch.UseHostKernels = host && saved;
            try
            {
                var data = Enumerable.Range(0, 5000).Select(i => (float)Math.Sin(i)).ToArray();
                data[4321] = value;
                using var t = Tensor.FromArray(device, data, data.Length);
                using var flags = Tensor.Zeros(device, 3);
                FiniteCheck.Mark(device, t.View, flags.View, 1);
                Assert.Equal(new[] { 0f, flagged ? 1f : 0f, 0f }, flags.ToArray());
            }
            finally
            {
                device.Launch.UseHostKernels = saved;
            }
        }
    }

    /// <summary>
    /// The scan of many tensors at once (one launch over a table on the CPU accelerator) flags exactly when one element
    /// of one tensor is bad, wherever it sits: first or last element, first or last tensor, a tensor split between workers.
    /// </summary>
    [Theory]
    [InlineData(-1, -1)]
    [InlineData(0, 0)]
    [InlineData(2, 4999)]
    [InlineData(3, 0)]
    [InlineData(3, 6)]
    [InlineData(1, 2)]
    public void The_scan_of_many_tensors_flags_exactly_one_bad_element(int tensor, int element)
    {
        using var device = fixture.CreateFresh();
        int[] lengths = [17, 3, 5000, 7];
        foreach (bool host in new[] { true, false })
        {
            device.Launch.UseHostKernels = host && device.Launch.IsCpu;
            using var scope = TensorScope.Begin();
            var tensors = lengths.Select((n, k) =>
            {
                var data = Enumerable.Range(0, n).Select(i => (float)Math.Cos(i + k)).ToArray();
                if (k == tensor) data[element] = float.NegativeInfinity;
                return Tensor.FromArray(device, data, n);
            }).ToList();
            var flags = Tensor.Zeros(device, 4);
            FiniteCheck.MarkAll(device, [.. tensors.Select(t => t.View)], flags.View, 2);
            Assert.Equal(new[] { 0f, 0f, tensor >= 0 ? 1f : 0f, 0f }, flags.ToArray());
        }
    }

    [Fact]
    public void A_nan_pixel_is_refused_when_the_dataset_is_built()
    {
        var images = new float[64 * 64];
        images[5 * 64 + 17] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => new ImageDataset(images, new int[64], 1, 8, 8, 10, "nan-set"));
        Assert.Contains("sample 5", e.Message, StringComparison.Ordinal);
        Assert.Contains("pixel 17", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_learning_rate_stops_at_the_first_non_finite_batch_and_saves_nothing()
    {
        using var tmp = new TempFolder();
        using var network = TrainingFixtures.BatchNormMlp(fixture.Device);
        using var method = new Bptt();
        using var sgd = new Sgd(network.Parameters, 1e30f);
        var trainer = new Trainer(network, method, sgd, new DirectEncoder(), new TrainingOptions { Epochs = 2, BatchSize = 16, TimeSteps = 3, OutputDirectory = tmp.Path });
        var e = Assert.Throws<NonFiniteException>(() => trainer.Fit(TrainingFixtures.Synthetic(64, 1), TrainingFixtures.Synthetic(16, 2), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(1, e.Epoch);
        Assert.InRange(e.Batch, 1, 4);
        Assert.Contains("epoch 1, batch", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(tmp.File(Trainer.CheckpointFile)));
    }

    [Fact]
    public void A_nan_in_the_second_epoch_keeps_the_first_epochs_checkpoint_and_metrics()
    {
        using var tmp = new TempFolder();
        using var network = TrainingFixtures.PlainMlp(fixture.Device);
        using var method = new Bptt();
        using var sgd = new Sgd(network.Parameters, 0.1f, momentum: 0.9f);
        // 64 samples / 16 = 4 training batches and 1 test batch per epoch: calls 5..8 train epoch 2, so call 6 is its batch 2.
        var encoder = new PoisoningEncoder(call => call == 6);
        var trainer = new Trainer(network, method, sgd, encoder, new TrainingOptions { Epochs = 3, BatchSize = 16, TimeSteps = 3, OutputDirectory = tmp.Path });
        var e = Assert.Throws<NonFiniteException>(() => trainer.Fit(TrainingFixtures.Synthetic(64, 1), TrainingFixtures.Synthetic(16, 2), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal((2, 2), (e.Epoch, e.Batch));
        Assert.Equal(1, trainer.SavedEpochs);
        var stored = SafeTensors.Load(tmp.File(Trainer.CheckpointFile), out var metadata);
        Assert.Equal("1", metadata["epochs_done"]);
        Assert.All(stored.Values, v => Assert.All(v.Data, x => Assert.True(float.IsFinite(x))));
        using var json = JsonDocument.Parse(File.ReadAllText(tmp.File(Trainer.MetricsJsonFile)));
        Assert.Equal(1, json.RootElement.GetProperty("epochs").GetInt32());
    }

    [Fact]
    public void Skipping_leaves_the_weights_untouched_and_the_metrics_valid()
    {
        using var tmp = new TempFolder();
        using var network = TrainingFixtures.PlainMlp(fixture.Device);
        var before = TrainingFixtures.Weights(network);
        using var method = new Bptt();
        using var sgd = new Sgd(network.Parameters, 0.1f, momentum: 0.9f, weightDecay: 1e-2f);
        var trainer = new Trainer(network, method, sgd, new PoisoningEncoder(_ => true),
            new TrainingOptions { Epochs = 1, BatchSize = 16, TimeSteps = 3, OutputDirectory = tmp.Path, SkipNonFinite = true });
        var history = trainer.Fit(TrainingFixtures.Synthetic(64, 1), TrainingFixtures.Synthetic(16, 2), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(4, history[0].SkippedUpdates);
        Assert.Equal(before, TrainingFixtures.Weights(network));
        using var json = JsonDocument.Parse(File.ReadAllText(tmp.File(Trainer.MetricsJsonFile)));
        Assert.Equal(4, json.RootElement.GetProperty("history")[0].GetProperty("skipped_updates").GetInt32());
        var csv = File.ReadAllLines(tmp.File(Trainer.MetricsCsvFile));
        Assert.Equal(csv[0].Split(',').Length, csv[1].Split(',').Length);
        Assert.DoesNotContain("NaN", csv[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_network_file_holding_a_nan_is_refused_and_changes_nothing()
    {
        using var tmp = new TempFolder();
        using var network = TrainingFixtures.PlainMlp(fixture.Device, 1);
        var path = tmp.File("net.safetensors");
        network.Save(path);
        var stored = SafeTensors.Load(path, out var metadata);
        var name = stored.Keys.Last();
        stored[name].Data[0] = float.PositiveInfinity;
        using (TensorScope.Begin())
            SafeTensors.Save(path, stored.Select(kv => KeyValuePair.Create(kv.Key, Tensor.FromArray(fixture.Device, kv.Value.Data, kv.Value.Shape))), metadata);
        using var other = TrainingFixtures.PlainMlp(fixture.Device, 2);
        var before = TrainingFixtures.Weights(other);
        Assert.Contains(name, Assert.Throws<InvalidDataException>(() => other.Load(path)).Message, StringComparison.Ordinal);
        Assert.Equal(before, TrainingFixtures.Weights(other));
    }

    [Fact]
    public void Non_finite_numbers_are_written_as_null_and_read_back_as_nan()
    {
        var m = new EpochMetrics { Epoch = 1, TrainLoss = double.PositiveInfinity, TestLoss = double.NaN, TestAccuracy = 0.5 };
        var text = JsonSerializer.Serialize(m, FiniteNumbers.Json);
        using (var doc = JsonDocument.Parse(text))
        {
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("train_loss").ValueKind);
            Assert.Equal(0.5, doc.RootElement.GetProperty("test_accuracy").GetDouble());
        }
        var back = JsonSerializer.Deserialize<EpochMetrics>(text, FiniteNumbers.Json)!;
        Assert.True(double.IsNaN(back.TrainLoss) && double.IsNaN(back.TestLoss));
        Assert.Equal("", FiniteNumbers.Cell(double.NaN));
        Assert.Equal("0.25", FiniteNumbers.Cell(0.25));
    }
}
