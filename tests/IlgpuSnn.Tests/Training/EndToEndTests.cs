using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Reliability;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Training;

/// <summary>Short real training runs: the loss falls, accuracy beats chance, and a resumed run is bit-identical.</summary>
public sealed class EndToEndTests(TestDevice fixture)
{
    private static SpikingNetwork Mlp(Device device) =>
        SpikingNetwork.Build(device, [1, 8, 8], b => b.Flatten().Linear(32, bias: false).BatchNorm().Lif(new NeuronSpec(Decay: 0.5f)).Linear(10), seed: 4);

    [Theory]
    [InlineData("bptt")]
    [InlineData("sltt")]
    [InlineData("ratebp")]
    public void Training_lowers_the_loss_and_beats_chance(string estimator)
    {
        var train = TrainingFixtures.Synthetic(600, 1);
        var test = TrainingFixtures.Synthetic(200, 2);
        using var network = Mlp(fixture.Device);
        using var method = EstimatorFactory.Create(estimator);
        method.Attach(network);
        using var sgd = new Sgd(network.Parameters, 0.1f, momentum: 0.9f);
        var trainer = new Trainer(network, method, sgd, new DirectEncoder(), new TrainingOptions { Epochs = 3, BatchSize = 32, TimeSteps = 4, Seed = 3 });
        var history = trainer.Fit(train, test, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss * 0.8, $"loss {history[0].TrainLoss} -> {history[^1].TrainLoss}");
        Assert.True(history[^1].TestAccuracy > 0.6, $"test accuracy {history[^1].TestAccuracy}");
    }

    [Fact]
    public void Resumed_training_is_bit_identical_on_the_cpu()
    {
        if (fixture.IsGpu) Assert.Skip("bit-exact resume is promised on the CPU accelerator only");
        var train = TrainingFixtures.Synthetic(200, 1);
        var test = TrainingFixtures.Synthetic(50, 2);
        var dir = Directory.CreateTempSubdirectory("ilgpusnn-resume").FullName;
        try
        {
            float[] Train(int epochs, string outDir, bool resume)
            {
                using var network = Mlp(fixture.Device);
                using var method = new Sltt(k: 2);
                using var sgd = new Sgd(network.Parameters, 0.1f, momentum: 0.9f, weightDecay: 1e-3f);
                var options = new TrainingOptions { Epochs = epochs, BatchSize = 16, TimeSteps = 3, Seed = 5, OutputDirectory = outDir, Resume = resume };
                new Trainer(network, method, sgd, new PoissonEncoder(), options) { Schedule = new CosineSchedule(0.1f, 26) }.Fit(train, test, cancellationToken: TestContext.Current.CancellationToken);
                return network.NamedTensors().SelectMany(t => t.Value.ToArray()).ToArray();
            }

            var straight = Train(2, Path.Combine(dir, "a"), resume: false);
            Train(1, Path.Combine(dir, "b"), resume: false);
            var resumed = Train(2, Path.Combine(dir, "b"), resume: true);
            Assert.Equal(straight, resumed);
            Assert.True(File.Exists(Path.Combine(dir, "b", "metrics.json")));
            Assert.Contains("\"test_accuracy\"", File.ReadAllText(Path.Combine(dir, "b", "metrics.json")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
