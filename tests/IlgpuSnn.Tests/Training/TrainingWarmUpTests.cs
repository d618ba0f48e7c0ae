using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Reliability;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Training;

/// <summary>
/// <see cref="TrainingWarmUp"/>: a warm-up on a scratch copy leaves a run exactly as it would be without it (weights,
/// BatchNorm running statistics, optimizer state, dropout masks, losses), and afterwards the run loads no kernel.
/// </summary>
public sealed class TrainingWarmUpTests(TestDevice fixture)
{
    private static readonly ImageSplitShape Shape = new(64, 1, 8, 8, 10);

    private sealed record Outcome(int[] Bits, double[] Losses, long WarmUpLoads, long RunLoads, long RunLaunches);

    /// <summary>Conv, BatchNorm, LIF, pooling, dropout and a read-out: kernels of every kind, an RNG stream and running statistics.</summary>
    private static (SpikingNetwork Network, IGradientEstimator Method, Sgd Optimizer, Trainer Trainer) Build(Device device, string estimator, TrainingOptions options)
    {
        var network = SpikingNetwork.Build(device, [1, 8, 8], b => b
            .Conv2d(4, 3, padding: 1).BatchNorm().Lif(new NeuronSpec(Decay: 0.5f)).AvgPool2d(2).Dropout(0.25f)
            .Flatten().Linear(10), seed: 4);
        var method = EstimatorFactory.Create(estimator, new EstimatorOptions { K = 2 });
        method.Attach(network);
        var sgd = new Sgd(network.Parameters.Concat(method.ExtraParameters).ToList(), 0.1f, momentum: 0.9f, weightDecay: 1e-3f);
        return (network, method, sgd, new Trainer(network, method, sgd, new PoissonEncoder(), options));
    }

    private static Outcome Train(Device device, string estimator, bool warmUp)
    {
        var options = new TrainingOptions { Epochs = 2, BatchSize = 16, TimeSteps = 3, Seed = 5 };
        long warmUpLoads = 0;
        if (warmUp)
        {
            var scratch = Build(device, estimator, options with { Epochs = 1 });
            try
            {
                warmUpLoads = TrainingWarmUp.Run(scratch.Trainer, Shape, options.BatchSize, TestContext.Current.CancellationToken).KernelsLoaded;
            }
            finally
            {
                scratch.Optimizer.Dispose();
                scratch.Method.Dispose();
                scratch.Network.Dispose();
            }
        }
        var (network, method, sgd, trainer) = Build(device, estimator, options);
        using (network)
        using (method)
        using (sgd)
        {
            long loads = device.Activity.KernelLoads, launches = device.Activity.KernelLaunches;
            var history = trainer.Fit(TrainingFixtures.Synthetic(Shape.Count, 1), TrainingFixtures.Synthetic(32, 2), cancellationToken: TestContext.Current.CancellationToken);
            var tensors = network.NamedTensors().Select(kv => kv.Value).Concat(sgd.State().Select(kv => kv.Value));
            var bits = tensors.SelectMany(t => t.ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray();
            return new Outcome(bits, [.. history.SelectMany(h => new[] { h.TrainLoss, h.TestLoss, h.TrainAccuracy })], warmUpLoads,
                device.Activity.KernelLoads - loads, device.Activity.KernelLaunches - launches);
        }
    }

    [Theory]
    [InlineData("bptt")]
    [InlineData("sltt-k")]
    public void A_run_after_a_warm_up_is_bit_identical_and_loads_no_kernel(string estimator)
    {
        if (fixture.IsGpu) Assert.Skip("bit-identical runs are promised on the CPU accelerator only");
        Outcome without, with;
        using (var device = fixture.CreateFresh()) without = Train(device, estimator, warmUp: false);
        using (var device = fixture.CreateFresh()) with = Train(device, estimator, warmUp: true);

        Assert.Equal(without.Bits, with.Bits);
        Assert.Equal(without.Losses, with.Losses);
        Assert.Equal(without.RunLaunches, with.RunLaunches);
        Assert.True(without.RunLoads > 0, "a fresh device loads kernels during the run");
        Assert.True(with.WarmUpLoads >= without.RunLoads, $"the warm-up loaded {with.WarmUpLoads} kernels, the run without it {without.RunLoads}");
        Assert.Equal(0, with.RunLoads);
    }

    [Fact]
    public void A_cancelled_warm_up_says_so_and_leaves_the_device_usable()
    {
        using var device = fixture.CreateFresh();
        var (network, method, sgd, trainer) = Build(device, "sltt", new TrainingOptions { Epochs = 1, BatchSize = 16, TimeSteps = 3, Seed = 5 });
        using (network)
        using (method)
        using (sgd)
        {
            var report = TrainingWarmUp.Run(trainer, Shape, 16, new CancellationToken(canceled: true));
            Assert.False(report.Completed);
        }
        var full = Train(device, "sltt", warmUp: true);
        Assert.True(full.RunLaunches > 0);
        Assert.Equal(0, full.RunLoads);
    }

    [Fact]
    public void A_trainer_that_writes_files_or_trains_longer_is_refused()
    {
        var folder = Directory.CreateTempSubdirectory("ilgpusnn-warmup").FullName;
        try
        {
            foreach (var options in new[]
            {
                new TrainingOptions { Epochs = 1, BatchSize = 8, TimeSteps = 2, OutputDirectory = folder },
                new TrainingOptions { Epochs = 2, BatchSize = 8, TimeSteps = 2 },
            })
            {
                var (network, method, sgd, trainer) = Build(fixture.Device, "bptt", options);
                using (network)
                using (method)
                using (sgd)
                {
                    var weights = network.Parameters.Select(p => p.ToArray()).ToList();
                    Assert.Throws<ArgumentException>(() => TrainingWarmUp.Run(trainer, Shape, 8, TestContext.Current.CancellationToken));
                    Assert.Equal(weights, network.Parameters.Select(p => p.ToArray()).ToList());
                }
            }
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
