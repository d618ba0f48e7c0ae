using System.Diagnostics;
using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tools;

/// <summary>One estimator's row of a comparison.</summary>
/// <param name="Estimator">Estimator name.</param>
/// <param name="TestAccuracy">Test accuracy after training.</param>
/// <param name="PeakPoolBytes">Peak pool bytes of the training iterations (inputs included).</param>
/// <param name="ForwardMacs">Forward multiply-accumulates per iteration.</param>
/// <param name="BackwardMacs">Backward multiply-accumulates per iteration.</param>
/// <param name="SecondsPerEpoch">Training seconds per epoch.</param>
/// <param name="WorkingBytesByTimeSteps">Working memory of one iteration (pool peak above what was live before) for each T measured.</param>
public sealed record ComparisonRow(string Estimator, double TestAccuracy, long PeakPoolBytes, double ForwardMacs, double BackwardMacs,
    double SecondsPerEpoch, IReadOnlyDictionary<int, long> WorkingBytesByTimeSteps);

/// <summary>
/// Trains the same network (same initialisation, data order and schedule) with several estimators and measures each
/// one's accuracy, memory, compute and time, plus its working memory for a range of time steps.
/// </summary>
public static class EstimatorComparison
{
    /// <summary>Runs the comparison; <paramref name="createNetwork"/> must build the same network every call.</summary>
    public static IReadOnlyList<ComparisonRow> Run(Device device, Func<Device, SpikingNetwork> createNetwork, IReadOnlyList<string> estimators,
        EstimatorOptions options, ImageDataset train, ImageDataset test, TrainingOptions training, IReadOnlyList<int> memoryTimeSteps,
        Func<IReadOnlyList<Tensor>, IOptimizer> createOptimizer, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(createNetwork);
        ArgumentNullException.ThrowIfNull(estimators);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(memoryTimeSteps);
        ArgumentNullException.ThrowIfNull(createOptimizer);
        var rows = new List<ComparisonRow>();
        foreach (var name in estimators)
        {
            cancellationToken.ThrowIfCancellationRequested();
            log?.Report($"{name}: training");
            var watch = Stopwatch.StartNew();
            using var network = createNetwork(device);
            using var estimator = EstimatorFactory.Create(name, options);
            estimator.Attach(network);
            using var optimizer = createOptimizer(network.Parameters.Concat(estimator.ExtraParameters).ToList());
            var trainer = new Trainer(network, estimator, optimizer, new DirectEncoder(), training with { OutputDirectory = null, Resume = false });
            var history = trainer.Fit(train, test, null, cancellationToken);
            log?.Report($"{name}: test accuracy {history[^1].TestAccuracy:P2} ({watch.Elapsed.TotalSeconds:F0} s); measuring memory");
            var working = memoryTimeSteps.ToDictionary(t => t, t => WorkingBytes(device, createNetwork, name, options, train, t, training.BatchSize));
            rows.Add(new ComparisonRow(name, history[^1].TestAccuracy, history.Max(h => h.PeakPoolBytes), history[^1].ForwardMacsPerIteration,
                history[^1].BackwardMacsPerIteration, history.Average(h => h.TrainSeconds), working));
        }
        return rows;
    }

    /// <summary>
    /// The working memory of one training iteration with <paramref name="timeSteps"/> steps: the pool's peak above the
    /// bytes live before the iteration (the network, its optimizer state and the encoded input).
    /// </summary>
    public static long WorkingBytes(Device device, Func<Device, SpikingNetwork> createNetwork, string estimatorName, EstimatorOptions options,
        ImageDataset data, int timeSteps, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(createNetwork);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(device);
        using var network = createNetwork(device);
        using var estimator = EstimatorFactory.Create(estimatorName, options);
        estimator.Attach(network);
        using var scope = TensorScope.Begin();
        int b = Math.Min(batchSize, data.Count);
        var images = Tensor.FromArray(device, data.Images.AsSpan(0, b * data.SampleSize), b, data.Channels, data.Height, data.Width);
        var labels = Tensor.FromArray(device, data.Labels.Take(b).Select(l => (float)l).ToArray(), b);
        var input = new DirectEncoder().Encode(images, timeSteps, 0);
        var loss = new SequenceLoss(Criterion.CrossEntropy, estimator.RequiredReduction ?? LossReduction.PerStep, labels);
        long baseline = device.Pool.LiveBytes;
        device.Pool.ResetPeak();
        estimator.Run(network, input, loss, new EstimatorContext { Update = () => { } });
        return device.Pool.PeakBytes - baseline;
    }
}
