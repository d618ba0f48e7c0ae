using System.Text.Json;
using IlgpuSnn.Data;
using IlgpuSnn.Distributed;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.DistributedWorker;

/// <summary>
/// Short training runs on synthetic data, written per rank: every gradient the optimizer stepped with (after the
/// all-reduce), the final parameters and buffers, and the epoch metrics. Ranks other than 0 start from different
/// weights, so equal results need the broadcast. Global batch 7 over 24 samples gives batches of 7, 7, 7, 3: with
/// two ranks, parts of 3 and 4 (and 1 and 2), so the share weighting is exercised.
/// </summary>
internal static class TrainingRuns
{
    private sealed record Case(string Name, string Estimator, string Model, EstimatorOptions Options, bool SyncBatchNorm = false);

    private static readonly Case[] Cases =
    [
        new("bptt-conv", "bptt", "conv", new EstimatorOptions()),
        new("ottt-o-mlp", "ottt-o", "mlp", new EstimatorOptions()),
        new("tt-lbptt-mlp", "tt-lbptt", "mlp", new EstimatorOptions { Window = 2, Blocks = [[0], [1]], PerWindowUpdate = true }),
        new("saf-e-mlp", "saf-e", "mlp", new EstimatorOptions()),
        new("bptt-bn-mlp", "bptt", "bn-mlp", new EstimatorOptions()),
        new("bptt-bn-mlp-sync", "bptt", "bn-mlp", new EstimatorOptions(), SyncBatchNorm: true),
        new("bptt-bn-conv-per-step-sync", "bptt", "bn-conv", new EstimatorOptions { BatchNormStats = BatchNormStatistics.PerStep }, SyncBatchNorm: true),
        new("ottt-o-bn-mlp-sync", "ottt-o", "bn-mlp", new EstimatorOptions(), SyncBatchNorm: true),
        new("sltt-bn-conv-sync", "sltt", "bn-conv", new EstimatorOptions(), SyncBatchNorm: true),
        new("tt-lbptt-bn-mlp2-sync", "tt-lbptt", "bn-mlp2", new EstimatorOptions { Window = 2, Blocks = [[0], [1]], PerWindowUpdate = true }, SyncBatchNorm: true),
        new("saf-e-bn-mlp-sync", "saf-e", "bn-mlp", new EstimatorOptions(), SyncBatchNorm: true),
    ];

    /// <summary>
    /// Runs every case. A single process also trains the first case for one epoch ("bptt-conv-epoch1"); given that
    /// run's folder (<paramref name="resumeFrom"/>), the ranks resume from its checkpoint to the second epoch
    /// ("bptt-conv-resumed"), which must match the uninterrupted single-process run.
    /// </summary>
    public static void Run(ICommunicator world, string output, string? resumeFrom)
    {
        using var device = Device.Create("cpu");
        foreach (var run in Cases) Train(world, device, run, output, run.Name, epochs: 2, resume: false);
        if (world.Size == 1) Train(world, device, Cases[0], output, Cases[0].Name + "-epoch1", epochs: 1, resume: false);
        if (resumeFrom is null) return;
        var folder = Path.Combine(output, Cases[0].Name + "-resumed");
        if (world.Rank == 0)
        {
            Directory.CreateDirectory(folder);
            File.Copy(Path.Combine(resumeFrom, Cases[0].Name + "-epoch1", Trainer.CheckpointFile), Path.Combine(folder, Trainer.CheckpointFile), overwrite: true);
        }
        Train(world, device, Cases[0], output, Cases[0].Name + "-resumed", epochs: 2, resume: true);
    }

    private static void Train(ICommunicator world, Device device, Case run, string output, string name, int epochs, bool resume)
    {
        var train = Synthetic(24, 1);
        var test = Synthetic(10, 2);
        var lif = new NeuronSpec(Decay: 0.5f, Threshold: 0.5f, Reset: ResetMode.Soft, DetachReset: false, SurrogateFunction: Surrogate.Sigmoid(4f));
        using var network = Build(device, run.Model, lif, seed: 3 + 17 * world.Rank);
        using var estimator = EstimatorFactory.Create(run.Estimator, run.Options);
        estimator.Attach(network);
        using var sgd = new Sgd(network.Parameters.Concat(estimator.ExtraParameters).ToList(), 0.2f, momentum: 0.9f);
        var recorder = new RecordingOptimizer(sgd);
        var folder = Path.Combine(output, name);
        if (world.Rank == 0) Directory.CreateDirectory(folder);
        var trainer = new Trainer(network, estimator, recorder, new DirectEncoder(),
            new TrainingOptions { Epochs = epochs, BatchSize = 7, TimeSteps = 3, Seed = 5, OutputDirectory = folder, Resume = resume })
        {
            Communicator = world,
            SynchronizeBatchNorm = run.SyncBatchNorm,
            Schedule = new CosineSchedule(0.2f, totalSteps: 8, warmupSteps: 0),
        };
        world.Barrier();
        var history = trainer.Fit(train, test);
        var result = new Dictionary<string, object>
        {
            ["grads"] = recorder.Steps,
            ["tensors"] = network.NamedTensors().Concat(estimator.ExtraParameters.Select((p, i) => KeyValuePair.Create($"extra.{i}", p)))
                .ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()),
            ["train_loss"] = history.Select(h => h.TrainLoss).ToArray(),
            ["train_accuracy"] = history.Select(h => h.TrainAccuracy).ToArray(),
            ["test_loss"] = history.Select(h => h.TestLoss).ToArray(),
            ["test_accuracy"] = history.Select(h => h.TestAccuracy).ToArray(),
            ["bytes_all_reduced"] = trainer.GradientAllReduce!.BytesAllReduced,
            ["all_reduce_calls"] = trainer.GradientAllReduce.AllReduceCalls,
            ["bn_all_reduce_calls"] = trainer.BatchStatisticsAllReduce?.Calls ?? 0,
        };
        File.WriteAllText(Path.Combine(output, $"{name}.{world.Rank}.json"), JsonSerializer.Serialize(result));
    }

    private static SpikingNetwork Build(Device device, string model, NeuronSpec lif, int seed) => model switch
    {
        "conv" => SpikingNetwork.Build(device, [1, 6, 6], b => b
            .Conv2d(4, 3, padding: 1).Lif(lif).AvgPool2d(2).Flatten().Linear(4), seed),
        "mlp" => SpikingNetwork.Build(device, [1, 6, 6], b => b
            .Flatten().Linear(24).Lif(lif).Linear(16).Lif(lif).Linear(4), seed),
        "bn-conv" => SpikingNetwork.Build(device, [1, 6, 6], b => b
            .Conv2d(4, 3, padding: 1, bias: false).BatchNorm().Lif(lif).AvgPool2d(2).Flatten().Linear(4), seed),
        "bn-mlp2" => SpikingNetwork.Build(device, [1, 6, 6], b => b
            .Flatten().Linear(24, bias: false).BatchNorm().Lif(lif).Linear(16, bias: false).BatchNorm().Lif(lif).Linear(4), seed),
        _ => SpikingNetwork.Build(device, [1, 6, 6], b => b
            .Flatten().Linear(24, bias: false).BatchNorm().Lif(lif).Linear(4), seed),
    };

    private static ImageDataset Synthetic(int count, int seed)
    {
        var random = new Random(seed);
        var images = Enumerable.Range(0, count * 36).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, count).Select(_ => random.Next(4)).ToArray();
        return new ImageDataset(images, labels, 1, 6, 6, 4, "synthetic");
    }

    /// <summary>Passes every call to an optimizer and keeps a host copy of each gradient it steps with.</summary>
    private sealed class RecordingOptimizer(IOptimizer inner) : IOptimizer
    {
        public List<float[][]> Steps { get; } = [];

        public float LearningRate
        {
            get => inner.LearningRate;
            set => inner.LearningRate = value;
        }

        public IReadOnlyList<Tensor> Parameters => inner.Parameters;

        public long StepCount
        {
            get => inner.StepCount;
            set => inner.StepCount = value;
        }

        public void Step()
        {
            Steps.Add(inner.Parameters.Select(p => p.Grad?.ToArray() ?? []).ToArray());
            inner.Step();
        }

        public void ZeroGrad() => inner.ZeroGrad();

        public IEnumerable<KeyValuePair<string, Tensor>> State() => inner.State();

        public void Dispose()
        {
        }
    }
}
