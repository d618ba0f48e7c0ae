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
/// A training iteration must never wait for the device (so it can run ahead on a GPU): counted with the device's
/// <see cref="DeviceActivity"/>, through which every kernel launch and every read of device memory goes.
/// </summary>
public sealed class HostSynchronizationTests(TestDevice fixture)
{
    public static TheoryData<string, Criterion> Cases()
    {
        var data = new TheoryData<string, Criterion>();
        foreach (var name in EstimatorFactory.Names) data.Add(name, Criterion.CrossEntropy);
        // One-hot targets and targets repeated over a window are built on the device too.
        foreach (var name in (string[])["bptt", "tt-lbptt", "ottt-o"])
        {
            data.Add(name, Criterion.SquaredError);
            data.Add(name, Criterion.CrossEntropyWithSquaredError);
        }
        return data;
    }

    /// <summary>
    /// The trainer's iteration (encode, the estimator with its updates and the non-finite scan of the weights, the
    /// recording of loss and correct count) on a conv net with BatchNorm: no host synchronisation, only launches. The
    /// first iteration (kernel compilation, SAF's one-time input check) is not counted.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void An_iteration_never_waits_for_the_device(string estimator, Criterion criterion) =>
        RunTwoIterations(estimator, criterion, new NeuronSpec(Decay: 0.5f), skipNonFinite: false);

    /// <summary>
    /// PLIF (the kernels read its learnable decay on the device) and the --skip-nonfinite update (the gradient scan sets
    /// a device flag the update kernels read; the skipped step is counted on the device) add no synchronisation either:
    /// every method that trains PLIF, and all of them with skipping.
    /// </summary>
    [Theory]
    [InlineData("bptt", "plif", false)]
    [InlineData("tt-lbptt", "plif", false)]
    [InlineData("sltt", "plif", true)]
    [InlineData("sltt-k", "lif", true)]
    [InlineData("bptt", "lif", true)]
    [InlineData("ottt-a", "lif", true)]
    [InlineData("ottt-o", "lif", true)]
    [InlineData("saf-e", "lif", true)]
    [InlineData("saf-f", "lif", true)]
    [InlineData("ratebp", "lif", true)]
    public void Plif_and_skipping_updates_never_wait_for_the_device(string estimator, string neuron, bool skipNonFinite) =>
        RunTwoIterations(estimator, Criterion.CrossEntropy, NeuronSpec.Named(neuron) with { Decay = 0.5f }, skipNonFinite);

    private void RunTwoIterations(string estimator, Criterion criterion, NeuronSpec lif, bool skipNonFinite)
    {
        var device = fixture.Device;
        using var network = SpikingNetwork.Build(device, [1, 8, 8], b => b
            .Conv2d(4, 3, padding: 1, bias: false).BatchNorm().Lif(lif).AvgPool2d(2)
            .Flatten().Linear(16).Lif(lif).Linear(10), seed: 3);
        using var method = EstimatorFactory.Create(estimator, new EstimatorOptions { K = 2, Window = 2 });
        method.Attach(network);
        using var sgd = new Sgd(network.Parameters.Concat(method.ExtraParameters).ToList(), 0.05f, momentum: 0.9f);
        using var guard = new NonFiniteGuard(device, 2);
        using var gradientGuard = new NonFiniteGuard(device);
        using var flag = gradientGuard.GradientFlag();
        Tensor skipped;
        using (TensorScope.Suspend()) skipped = Tensor.Zeros(device, 1);
        using var metrics = new IntervalMetrics(device, 2);
        var loader = new DataLoader(device, TrainingFixtures.Synthetic(16, 1), 8, shuffle: true, seed: 2);
        var encoder = new DirectEncoder();
        var reduction = method.RequiredReduction ?? LossReduction.PerStep;
        int row = 0;
        foreach (var batch in loader.Epoch(0))
        {
            using (batch)
            {
                if (row == 1) device.Activity.Reset();
                using var scope = TensorScope.Begin();
                var x = encoder.Encode(batch.Images, 4, (ulong)row);
                var loss = new SequenceLoss(criterion, reduction, batch.Labels);
                guard.Row = row;
                var result = method.Run(network, x, loss, new EstimatorContext
                {
                    Update = () =>
                    {
                        if (skipNonFinite)
                        {
                            gradientGuard.MarkGradients(sgd.Parameters);
                            sgd.Step(flag);
                            gradientGuard.CountGradientFlagAndClear(skipped);
                        }
                        else
                        {
                            sgd.Step();
                        }
                        sgd.ZeroGrad();
                        guard.MarkWeights(sgd.Parameters);
                    },
                    Seed = (ulong)row,
                });
                metrics.Record(row, result.LossTensor, result.OutputSumTensor, batch.Labels);
                if (row == 1)
                {
                    Assert.Equal(0, device.Activity.HostSynchronizations);
                    Assert.True(device.Activity.KernelLaunches > 10, $"{device.Activity.KernelLaunches} launches");
                    // On the CPU accelerator every kernel of the iteration is recorded: no hand-off to the workers at all.
                    if (device.Kernels.Queue is not null) Assert.Equal(0, device.Activity.HostHandOffs);
                }
                row++;
            }
        }
        Assert.Equal(2, row);
        Assert.True(metrics.Read(2).All(r => float.IsFinite(r.Loss)));
        Assert.All(guard.ReadRowsAndClear(), f => Assert.Equal(NonFiniteKinds.None, f));
        Assert.Equal(0f, skipped.Item());
        skipped.Dispose();
    }

    /// <summary>
    /// The whole trainer synchronises once per logging interval, not per batch: with an interval longer than the
    /// epoch, training on twice the batches costs exactly as many synchronisations.
    /// </summary>
    [Theory]
    [InlineData("bptt")]
    [InlineData("sltt")]
    public void Training_synchronises_per_interval_not_per_batch(string estimator)
    {
        long Synchronizations(int samples, int interval)
        {
            var device = fixture.Device;
            using var network = TrainingFixtures.BatchNormMlp(device);
            using var method = EstimatorFactory.Create(estimator);
            using var sgd = new Sgd(network.Parameters, 0.05f, momentum: 0.9f);
            var trainer = new Trainer(network, method, sgd, new DirectEncoder(),
                new TrainingOptions { Epochs = 1, BatchSize = 8, TimeSteps = 3, LogInterval = interval });
            device.Activity.Reset();
            trainer.Fit(TrainingFixtures.Synthetic(samples, 1), TrainingFixtures.Synthetic(8, 2), cancellationToken: TestContext.Current.CancellationToken);
            return device.Activity.HostSynchronizations;
        }

        long four = Synchronizations(32, 8), eight = Synchronizations(64, 8);
        Assert.Equal(four, eight);
        // An interval of one batch reads the metrics and the flags of every batch.
        Assert.Equal(eight + 2 * 7, Synchronizations(64, 1));
    }

    /// <summary>
    /// With a PLIF layer and with --skip-nonfinite the trainer still synchronises once per interval: before the decay
    /// stayed on the device, every PLIF forward read it back, and every skip decision read a flag per update.
    /// </summary>
    [Theory]
    [InlineData("bptt", "plif", false)]
    [InlineData("sltt", "lif", true)]
    [InlineData("bptt", "plif", true)]
    public void Plif_and_skip_nonfinite_synchronise_per_interval_not_per_batch(string estimator, string neuron, bool skipNonFinite)
    {
        long Synchronizations(int samples)
        {
            var device = fixture.Device;
            using var network = SpikingNetwork.Build(device, [1, 8, 8], b => b.Flatten().Linear(32, bias: false).BatchNorm()
                .Neuron(NeuronSpec.Named(neuron) with { Decay = 0.5f }).Linear(10), 4);
            using var method = EstimatorFactory.Create(estimator);
            using var sgd = new Sgd(network.Parameters, 0.05f, momentum: 0.9f);
            var trainer = new Trainer(network, method, sgd, new DirectEncoder(),
                new TrainingOptions { Epochs = 1, BatchSize = 8, TimeSteps = 3, LogInterval = 8, SkipNonFinite = skipNonFinite });
            device.Activity.Reset();
            trainer.Fit(TrainingFixtures.Synthetic(samples, 1), TrainingFixtures.Synthetic(8, 2), cancellationToken: TestContext.Current.CancellationToken);
            return device.Activity.HostSynchronizations;
        }

        Assert.Equal(Synchronizations(32), Synchronizations(64));
    }

    /// <summary>Reading the metrics once per interval replays the same progress, batch by batch, as reading every batch.</summary>
    [Fact]
    public void The_progress_is_the_same_for_any_interval()
    {
        List<TrainingProgress> Progress(int interval)
        {
            var reports = new List<TrainingProgress>();
            using var network = TrainingFixtures.BatchNormMlp(fixture.Device);
            using var method = EstimatorFactory.Create("sltt");
            using var sgd = new Sgd(network.Parameters, 0.05f, momentum: 0.9f);
            var trainer = new Trainer(network, method, sgd, new DirectEncoder(),
                new TrainingOptions { Epochs = 2, BatchSize = 8, TimeSteps = 3, LogInterval = interval });
            trainer.Fit(TrainingFixtures.Synthetic(40, 1), TrainingFixtures.Synthetic(24, 2), new Collect(reports), TestContext.Current.CancellationToken);
            return reports;
        }

        var everyBatch = Progress(1);
        Assert.Equal(2 * (5 + 3), everyBatch.Count);
        Assert.Equal(everyBatch, Progress(3));
        Assert.Throws<ArgumentException>(() => Progress(0));
    }

    private sealed class Collect(List<TrainingProgress> reports) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => reports.Add(value);
    }
}
