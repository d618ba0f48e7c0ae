using IlgpuSnn.Formats;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>`snn train`'s start-up (data loading beside the device's set-up and warm-up): said on the console, and the trained run is the same bit for bit.</summary>
public sealed class CliWarmUpTests
{
    [Theory]
    [InlineData("mlp", "bptt")]
    [InlineData("conv", "sltt-k")]
    public void The_start_up_is_reported_and_the_warm_up_changes_no_trained_value(string model, string estimator)
    {
        CliProcess.RequireBuilt();
        using var tmp = new TempFolder();
        using var dataset = new TempFolder();
        CliProcess.WriteDataset(dataset, train: 64, test: 16);
        var data = dataset.Path;
        (string Out, IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Tensors) Train(string name, params string[] extra)
        {
            var result = CliProcess.Run(300, ["train", "--dataset", data, "--model", model, "--estimator", estimator, "--k", "2", "--epochs", "1",
                "--batch-size", "32", "--out", tmp.File(name), .. extra]);
            Assert.True(result.Code == 0, $"exit {result.Code}: {result.Err}");
            return (result.Out, SafeTensors.Load(Path.Combine(tmp.File(name), Trainer.CheckpointFile), out _));
        }

        var warm = Train("warm");
        var cold = Train("cold", "--no-warm-up");

        Assert.Contains("while the device was set up", warm.Out, StringComparison.Ordinal);
        Assert.Contains("a scratch copy of the network trained and evaluated one synthetic batch", warm.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Start-up", cold.Out, StringComparison.Ordinal);
        Assert.Equal(cold.Tensors.Keys.Order(StringComparer.Ordinal), warm.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in cold.Tensors)
            Assert.True(value.Data.Select(BitConverter.SingleToInt32Bits).SequenceEqual(warm.Tensors[key].Data.Select(BitConverter.SingleToInt32Bits)), key);
    }

    /// <summary>CIFAR-10's shape comes from its files' lengths, so it loads beside the device's warm-up as the IDX datasets do.</summary>
    [Fact]
    public void Cifar10_is_loaded_beside_the_warm_up()
    {
        CliProcess.RequireBuilt();
        using var tmp = new TempFolder();
        using var dataset = new TempFolder();
        var rng = new Random(3);
        byte[] Batch(int records)
        {
            var bytes = new byte[records * 3073];
            rng.NextBytes(bytes);
            for (int r = 0; r < records; r++) bytes[r * 3073] = (byte)(r % 10);
            return bytes;
        }

        for (int b = 1; b <= 5; b++) File.WriteAllBytes(Path.Combine(dataset.Path, $"data_batch_{b}.bin"), Batch(4));
        File.WriteAllBytes(Path.Combine(dataset.Path, "test_batch.bin"), Batch(4));
        var result = CliProcess.Run(300, ["train", "--dataset", "cifar10:" + dataset.Path, "--model", "conv", "--estimator", "bptt", "--epochs", "1",
            "--batch-size", "10", "-T", "2", "--out", tmp.File("run")]);
        Assert.True(result.Code == 0, $"exit {result.Code}: {result.Err}");
        Assert.Contains("20 training / 4 test samples", result.Out, StringComparison.Ordinal);
        Assert.Contains("a scratch copy of the network trained and evaluated one synthetic batch", result.Out, StringComparison.Ordinal);
    }
}
