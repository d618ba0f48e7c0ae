using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using IlgpuSnn.Formats;
using IlgpuSnn.Autodiff;
using IlgpuSnn.Data;
using IlgpuSnn.Distributed;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Trains a spiking network with a gradient estimator: epochs of encoded batches, a cosine learning-rate schedule,
/// train/test loss and accuracy per epoch, metrics written atomically after every epoch (metrics.json and metrics.csv)
/// and a safetensors checkpoint from which a run resumes exactly where it stopped.
/// </summary>
public sealed class Trainer
{
    /// <summary>File name of the checkpoint inside the output folder.</summary>
    public const string CheckpointFile = "checkpoint.safetensors";

    /// <summary>File name of the JSON metrics inside the output folder.</summary>
    public const string MetricsJsonFile = "metrics.json";

    /// <summary>File name of the CSV metrics inside the output folder.</summary>
    public const string MetricsCsvFile = "metrics.csv";

    private readonly SpikingNetwork network;
    private readonly IGradientEstimator estimator;
    private readonly IOptimizer optimizer;
    private readonly IEncoder encoder;
    private readonly TrainingOptions options;
    private readonly LossReduction reduction;

    /// <summary>Creates a trainer; the optimizer must hold the network's parameters and the estimator's extra ones.</summary>
    /// <param name="network">The network to train.</param>
    /// <param name="estimator">The gradient estimator (training method).</param>
    /// <param name="optimizer">The optimizer; it holds the network's and the estimator's parameters.</param>
    /// <param name="encoder">Turns a batch of samples into an input sequence [T, B, ...].</param>
    /// <param name="options">Epochs, batch size, time steps, output folder and the other run settings.</param>
    /// <param name="reduction">The loss reduction; null = the estimator's default.</param>
    /// <exception cref="ArgumentException">A count in <paramref name="options"/> is not positive, the estimator needs another reduction, or the optimizer's parameters do not match the network's and the estimator's.</exception>
    public Trainer(SpikingNetwork network, IGradientEstimator estimator, IOptimizer optimizer, IEncoder encoder, TrainingOptions options, LossReduction? reduction = null)
    {
        this.network = network ?? throw new ArgumentNullException(nameof(network));
        this.estimator = estimator ?? throw new ArgumentNullException(nameof(estimator));
        this.optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        this.encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Epochs <= 0 || options.BatchSize <= 0 || options.TimeSteps <= 0 || options.LogInterval <= 0)
            throw new ArgumentException($"Trainer: epochs ({options.Epochs}), batch size ({options.BatchSize}), time steps ({options.TimeSteps}) and the logging interval ({options.LogInterval}) must be positive.");
        this.reduction = reduction ?? estimator.DefaultReduction;
        LossSupport.Require(estimator, this.reduction);
        CheckOptimizerParameters();
    }

    /// <summary>The run settings this trainer was created with.</summary>
    public TrainingOptions Options => options;

    /// <summary>The device of the trained network.</summary>
    public Device Device => network.Device;

    /// <summary>
    /// Epochs held by the checkpoint in the output folder that this trainer wrote or resumed from; null when it holds
    /// none of this run (so a message after a stop can say truthfully what was saved).
    /// </summary>
    public int? SavedEpochs { get; private set; }

    /// <summary>The learning-rate schedule (set before <see cref="Fit"/>; default: cosine over all iterations).</summary>
    public CosineSchedule? Schedule { get; set; }

    /// <summary>
    /// The processes this run trains with, data-parallel (default: this process alone). Every rank runs
    /// <see cref="Fit"/> with the same options; <see cref="TrainingOptions.BatchSize"/> is the global batch, of which
    /// each rank trains on its <see cref="DataShard"/>. Rank 0's parameters, or its checkpoint, start every rank;
    /// gradients are all-reduced before every optimizer step (<see cref="GradientAllReduceOptimizer"/>); BatchNorm
    /// running statistics are averaged at the end of every epoch; metrics are summed over the ranks; only rank 0
    /// writes files and reports progress.
    /// </summary>
    public ICommunicator Communicator { get; set; } = SingleProcessCommunicator.Instance;

    /// <summary>The gradient all-reduce of the last <see cref="Fit"/> (its byte and time counters), or null before.</summary>
    public GradientAllReduceOptimizer? GradientAllReduce { get; private set; }

    /// <summary>
    /// Synchronised BatchNorm when data-parallel: every BatchNorm normalises with the statistics of the whole global
    /// batch (forward sums and backward sums all-reduced), so R ranks train as one process would, also with
    /// BatchNorm. Default false: each rank normalises with its own part (as PyTorch DDP without SyncBatchNorm) and
    /// the running statistics are averaged at every epoch end. Nothing changes for a single process.
    /// </summary>
    public bool SynchronizeBatchNorm { get; set; }

    /// <summary>The synchronised-BatchNorm all-reduce of the last <see cref="Fit"/> (its counters), or null when not synchronised.</summary>
    public BatchStatisticsAllReduce? BatchStatisticsAllReduce { get; private set; }

    /// <summary>
    /// Trains for the configured epochs (continuing from a checkpoint when resuming) and returns every epoch's metrics.
    /// Cancellation stops between batches; everything written before stays intact.
    /// </summary>
    /// <param name="train">The training split.</param>
    /// <param name="test">The test split, evaluated after every epoch.</param>
    /// <param name="progress">Receives progress reports; may be null.</param>
    /// <param name="cancellationToken">Stops training between batches.</param>
    /// <returns>Every epoch's metrics, those of a resumed checkpoint included.</returns>
    public IReadOnlyList<EpochMetrics> Fit(ImageDataset train, ImageDataset test, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        var device = network.Device;
        var comm = Communicator;
        var shard = new DataShard(comm.Rank, comm.Size);
        if (comm.Rank != 0) progress = null;
        var loader = new DataLoader(device, train, options.BatchSize, shuffle: true, options.Seed, dropLast: false) { Shard = shard };
        var testLoader = new DataLoader(device, test, options.BatchSize, shuffle: false, options.Seed) { Shard = shard };
        var stepper = GradientAllReduce = new GradientAllReduceOptimizer(optimizer, comm);
        BatchStatisticsAllReduce = SynchronizeBatchNorm && comm.Size > 1 ? new BatchStatisticsAllReduce(comm) : null;
        if (BatchStatisticsAllReduce is not null && estimator.Name == "ratebp" && network.Layers.OfType<BatchNorm>().Any())
            throw new ArgumentException("Trainer: synchronised BatchNorm is not available with ratebp (its rate pass normalises with statistics it recorded per rank); train without it.");
        using var synchronizedNorms = BatchNormSynchronization.Attach(network, BatchStatisticsAllReduce);
        long totalSteps = (long)loader.BatchesPerEpoch * options.Epochs;
        var schedule = Schedule ?? new CosineSchedule(optimizer.LearningRate, totalSteps, options.WarmupSteps);
        var history = new List<EpochMetrics>();
        int firstEpoch = 0;
        long step = 0;
        var settings = RunSettings(train.Count);
        SavedEpochs = null;
        if (options.OutputDirectory is { } dir && comm.Rank == 0)
        {
            ResumeCheck.Preflight(options);
            foreach (var name in (string[])[CheckpointFile, MetricsJsonFile, MetricsCsvFile]) AtomicFile.RemoveStale(Path.Combine(dir, name));
            if (options.Resume)
            {
                (firstEpoch, step) = LoadCheckpoint(Path.Combine(dir, CheckpointFile), history, settings);
                SavedEpochs = firstEpoch;
                if (history.Count > 0) WriteMetrics(dir, history, train.Count);
            }
        }
        StartReplicas(ref firstEpoch, ref step);
        int interval = options.LogInterval;
        using var guard = new NonFiniteGuard(device, interval);
        using var gradientGuard = options.SkipNonFinite ? new NonFiniteGuard(device) : null;
        using var gradientFlag = gradientGuard?.GradientFlag();
        using var skippedSteps = options.SkipNonFinite ? SkippedStepCounter(device) : null;
        using var metrics = new IntervalMetrics(device, interval);
        var pending = new List<(int Batch, double Share, int Size)>(interval);
        var trained = optimizer.Parameters;

        for (int epoch = firstEpoch; epoch < options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            device.Pool.ResetPeak();
            device.Macs.Reset();
            var watch = Stopwatch.StartNew();
            double waitedBefore = loader.WaitSeconds;
            double lossSum = 0, shareSum = 0;
            long correct = 0, seen = 0;
            int batches = 0, skipped = 0;
            // The interval's batches are read back together (one synchronisation) and replayed in order: the same
            // running numbers as a read per batch, and a non-finite value still names its own batch.
            void ReadInterval()
            {
                if (pending.Count == 0) return;
                if (skippedSteps is not null)
                {
                    skipped += (int)MathF.Round(skippedSteps.Item());
                    Ops.FillInPlace(skippedSteps, 0f);
                }
                var rows = metrics.Read(pending.Count);
                var flags = guard.ReadRowsAndClear();
                for (int r = 0; r < pending.Count; r++)
                {
                    var (loss, count) = rows[r];
                    var found = flags[r] | (float.IsFinite(loss) ? NonFiniteKinds.None : NonFiniteKinds.Loss);
                    if (found.HasFlag(NonFiniteKinds.Weights) || (found != NonFiniteKinds.None && !options.SkipNonFinite))
                        throw new NonFiniteException(epoch + 1, pending[r].Batch, found, SavedDescription());
                    if (float.IsFinite(loss)) lossSum += loss * pending[r].Share;
                    shareSum += pending[r].Share;
                    correct += count;
                    seen += pending[r].Size;
                    progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, pending[r].Batch, loader.BatchesPerEpoch, lossSum / shareSum, (double)correct / seen, "train"));
                }
                pending.Clear();
            }

            foreach (var batch in loader.Epoch(epoch))
            {
                using (batch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    optimizer.LearningRate = schedule.At(step);
                    var seed = unchecked((ulong)options.Seed * 0x9E3779B97F4A7C15UL + (ulong)step);
                    using var scope = TensorScope.Begin();
                    var x = encoder.Encode(batch.Images, options.TimeSteps, seed);
                    var loss = new SequenceLoss(options.Criterion, reduction, batch.Labels, options.MseWeight);
                    double share = (double)batch.Size / DataShard.GlobalBatchLength(train.Count, options.BatchSize, batches);
                    stepper.LocalShare = share;
                    guard.Row = pending.Count;
                    var result = estimator.Run(network, x, loss, new EstimatorContext
                    {
                        Update = () =>
                        {
                            stepper.Synchronize(); // before the scan below, so every rank sees the same gradients and decides alike
                            if (gradientGuard is null)
                            {
                                optimizer.Step();
                            }
                            else
                            {
                                // The skip decision stays on the device: the update kernels read the flag the scan sets.
                                gradientGuard.MarkGradients(trained);
                                optimizer.Step(gradientFlag!);
                                gradientGuard.CountGradientFlagAndClear(skippedSteps!);
                            }
                            optimizer.ZeroGrad();
                            guard.MarkWeights(trained);
                        },
                        Seed = seed,
                        Cancellation = cancellationToken,
                    });
                    metrics.Record(pending.Count, result.LossTensor, result.OutputSumTensor, batch.Labels);
                    batches++;
                    step++;
                    pending.Add((batches, share, batch.Size));
                    if (pending.Count == interval) ReadInterval();
                }
            }
            ReadInterval();
            watch.Stop();
            (lossSum, correct, seen) = SumOverRanks(lossSum, correct, seen);
            Replicas.Average(comm, network.Layers.SelectMany(l => l.Buffers));
            long peak = device.Pool.PeakBytes;
            long forwardMacs = device.Macs.Forward, backwardMacs = device.Macs.Backward;
            var (testLoss, testAccuracy, firingRates) = Evaluate(testLoader, progress, epoch, cancellationToken);
            history.Add(new EpochMetrics
            {
                Epoch = epoch + 1,
                TrainLoss = lossSum / Math.Max(batches, 1),
                TrainAccuracy = (double)correct / Math.Max(seen, 1),
                TestLoss = testLoss,
                TestAccuracy = testAccuracy,
                TrainSeconds = watch.Elapsed.TotalSeconds,
                DataSeconds = loader.WaitSeconds - waitedBefore,
                PeakPoolBytes = peak,
                ForwardMacsPerIteration = (double)forwardMacs / Math.Max(batches, 1),
                BackwardMacsPerIteration = (double)backwardMacs / Math.Max(batches, 1),
                LearningRate = optimizer.LearningRate,
                SkippedUpdates = skipped,
                FiringRates = firingRates,
            });
            if (options.OutputDirectory is { } outDir && comm.Rank == 0)
            {
                if (guard.AnyNonFinite(CheckpointTensors().Select(kv => kv.Value)))
                    throw new NonFiniteException(epoch + 1, batches, NonFiniteKinds.Weights, SavedDescription());
                WriteMetrics(outDir, history, train.Count);
                SaveCheckpoint(Path.Combine(outDir, CheckpointFile), epoch + 1, step, history, settings);
                SavedEpochs = epoch + 1;
            }
        }
        return history;
    }

    /// <summary>
    /// Test loss, accuracy and the firing rate of every spiking layer (evaluation mode, no graph). With a sharded loader (data-parallel) every
    /// rank must call it; the result then covers all ranks' parts.
    /// </summary>
    /// <param name="loader">The batches to evaluate.</param>
    /// <param name="progress">Receives progress reports; may be null.</param>
    /// <param name="epoch">0-based epoch; progress reports carry it 1-based.</param>
    /// <param name="cancellationToken">Stops evaluation between batches.</param>
    /// <returns>The mean loss, the accuracy in [0, 1] and every spiking layer's mean firing rate.</returns>
    public (double Loss, double Accuracy, IReadOnlyList<double> FiringRates) Evaluate(DataLoader loader, IProgress<TrainingProgress>? progress = null, int epoch = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loader);
        double lossSum = 0, shareSum = 0;
        long correct = 0, seen = 0;
        int batches = 0;
        using var rates = new FiringRateMeter(network);
        int interval = options.LogInterval;
        using var metrics = new IntervalMetrics(network.Device, interval);
        var pending = new List<(double Share, int Size)>(interval);
        void ReadInterval()
        {
            if (pending.Count == 0) return;
            var rows = metrics.Read(pending.Count);
            for (int r = 0; r < pending.Count; r++)
            {
                shareSum += pending[r].Share;
                lossSum += pending[r].Share * rows[r].Loss;
                correct += rows[r].Correct;
                seen += pending[r].Size;
                progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, batches - pending.Count + r + 1, loader.BatchesPerEpoch, lossSum / shareSum, (double)correct / seen, "test"));
            }
            pending.Clear();
        }

        using var noGrad = Tape.NoGrad();
        foreach (var batch in loader.Epoch(0))
        {
            using (batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = TensorScope.Begin();
                var x = encoder.Encode(batch.Images, options.TimeSteps, unchecked((ulong)options.Seed + 0xE7A1UL + (ulong)batches));
                var logits = network.Forward(x, training: false, rates.Observe);
                var flat = logits.Reshape(options.TimeSteps * batch.Size, network.Classes);
                double share = (double)batch.Size / DataShard.GlobalBatchLength(loader.Dataset.Count, loader.BatchSize, batches);
                var totals = new SequenceTotals(network.Device, batch.Size, network.Classes);
                totals.AddOutputs(flat);
                metrics.Record(pending.Count, new SequenceLoss(options.Criterion, reduction, batch.Labels, options.MseWeight).Sequence(flat, options.TimeSteps), totals.Outputs, batch.Labels);
                batches++;
                pending.Add((share, batch.Size));
                if (pending.Count == interval) ReadInterval();
            }
        }
        ReadInterval();
        network.ResetState();
        if (loader.Shard.Count > 1) (lossSum, correct, seen) = SumOverRanks(lossSum, correct, seen);
        return (lossSum / Math.Max(batches, 1), (double)correct / Math.Max(seen, 1), rates.Rates(loader.Shard.Count > 1 ? Communicator : SingleProcessCommunicator.Instance));
    }

    /// <summary>Rank 0's parameters, buffers, estimator state and optimizer state (and its epoch and step) on every rank.</summary>
    private void StartReplicas(ref int firstEpoch, ref long step)
    {
        if (Communicator.Size == 1) return;
        Replicas.BroadcastFromRoot(Communicator, CheckpointTensors().Select(kv => kv.Value));
        var start = Replicas.BroadcastFromRoot(Communicator, firstEpoch, step);
        (firstEpoch, step) = ((int)start[0], start[1]);
    }

    /// <summary>A rank's loss sum (its share of each global batch's mean loss) and counts, summed over the ranks.</summary>
    private (double LossSum, long Correct, long Seen) SumOverRanks(double lossSum, long correct, long seen)
    {
        if (Communicator.Size == 1) return (lossSum, correct, seen);
        var sums = Replicas.Sum(Communicator, lossSum, correct, seen);
        return (sums[0], (long)sums[1], (long)sums[2]);
    }

    private IEnumerable<KeyValuePair<string, Tensor>> CheckpointTensors() =>
        network.NamedTensors()
            .Concat(estimator.ExtraParameters.Select((p, i) => KeyValuePair.Create($"estimator.{i}.{p.Name}", p)))
            .Concat(optimizer.State().Select(kv => KeyValuePair.Create("optimizer." + kv.Key, kv.Value)));

    private void SaveCheckpoint(string path, int epochsDone, long step, List<EpochMetrics> history, IReadOnlyDictionary<string, string> settings)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = CheckpointValidator.Format,
            ["epochs_done"] = epochsDone.ToString(CultureInfo.InvariantCulture),
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["optimizer_steps"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            ["estimator"] = estimator.Name,
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["history"] = JsonSerializer.Serialize(history, FiniteNumbers.CompactJson),
        };
        foreach (var (key, value) in settings) metadata[ResumeCheck.SettingPrefix + key] = value;
        SafeTensors.Save(path, CheckpointTensors(), metadata);
    }

    /// <summary>
    /// Reads, validates completely (metadata, settings, every tensor's shape and finiteness) and only then applies a
    /// checkpoint, so a bad or foreign checkpoint leaves the network, estimator and optimizer untouched.
    /// </summary>
    private (int Epoch, long Step) LoadCheckpoint(string path, List<EpochMetrics> history, IReadOnlyDictionary<string, string> settings)
    {
        var stored = SafeTensors.Load(path, out var metadata);
        var expected = CheckpointTensors().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Shape)).ToList();
        var state = CheckpointValidator.Validate(path, stored, metadata, expected);
        var differences = ResumeCheck.Differences(state.Settings, settings);
        if (differences.Count > 0 && !options.ForceResume) throw new ResumeMismatchException(path, differences);
        optimizer.StepCount = state.OptimizerSteps;
        // Optimizer state may be created lazily: take the pass over State() after StepCount is set.
        foreach (var (key, tensor) in CheckpointTensors()) tensor.CopyFrom(stored[key].Data);
        history.AddRange(state.History);
        return (state.EpochsDone, state.Step);
    }

    /// <summary>The settings a resumed run must share with its checkpoint.</summary>
    private Dictionary<string, string> RunSettings(int trainSamples)
    {
        var settings = new Dictionary<string, string>(options.RunSettings, StringComparer.Ordinal)
        {
            ["estimator"] = estimator.Name,
            ["optimizer"] = optimizer.GetType().Name,
            ["encoder"] = encoder.GetType().Name,
            ["learning_rate"] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["time_steps"] = options.TimeSteps.ToString(CultureInfo.InvariantCulture),
            ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["warmup_steps"] = options.WarmupSteps.ToString(CultureInfo.InvariantCulture),
            ["train_samples"] = trainSamples.ToString(CultureInfo.InvariantCulture),
            ["loss_reduction"] = reduction.ToString(),
        };
        return settings;
    }

    /// <summary>The device counter of updates skipped for non-finite gradients (read once per logging interval).</summary>
    private static Tensor SkippedStepCounter(Device device)
    {
        using (TensorScope.Suspend()) return Tensor.Zeros(device, 1);
    }

    private string SavedDescription() => SavedEpochs is { } n
        ? $"the checkpoint in '{options.OutputDirectory}' still holds epoch {n} and nothing non-finite was saved"
        : "no checkpoint was written";

    /// <summary>
    /// The optimizer must update only this network's and this estimator's parameters, and all of the estimator's
    /// (auxiliary heads that are not in the optimizer would never train).
    /// </summary>
    private void CheckOptimizerParameters()
    {
        var own = new HashSet<Tensor>(network.Parameters.Concat(estimator.ExtraParameters));
        foreach (var p in optimizer.Parameters)
            if (!own.Contains(p))
                throw new ArgumentException($"Trainer: the optimizer holds parameter '{p.Name}' {Tensor.Format(p.Shape)}, which belongs neither to this network nor to the estimator (an optimizer built for another network?).");
        var held = new HashSet<Tensor>(optimizer.Parameters);
        foreach (var p in estimator.ExtraParameters)
            if (!held.Contains(p))
                throw new ArgumentException($"Trainer: the optimizer lacks the estimator's parameter '{p.Name}'; create it from network.Parameters and estimator.ExtraParameters after estimator.Attach(network).");
        if (!network.Parameters.Any(held.Contains))
            throw new ArgumentException("Trainer: the optimizer holds none of this network's parameters.");
    }

    private static string LossName(Criterion criterion, float mseWeight) => criterion switch
    {
        Criterion.CrossEntropy => "ce",
        Criterion.SquaredError => "mse",
        Criterion.CrossEntropyWithSquaredError => string.Create(CultureInfo.InvariantCulture, $"ce+mse:{mseWeight}"),
        _ => "half-se",
    };

    private void WriteMetrics(string folder, List<EpochMetrics> history, int trainSamples)
    {
        var last = history[^1];
        var summary = new Dictionary<string, object>
        {
            ["estimator"] = estimator.Name,
            ["loss"] = LossName(options.Criterion, options.MseWeight),
            ["loss_on"] = reduction == LossReduction.PerStep ? "per-step" : "mean-output",
            ["bn_stats"] = estimator.BatchNormStats == BatchNormStatistics.PerStep ? "per-step" : "folded",
            ["device"] = network.Device.Info.ToString(),
            ["time_steps"] = options.TimeSteps,
            ["epochs"] = history.Count,
            ["batch_size"] = options.BatchSize,
            ["world_size"] = Communicator.Size,
            ["global_batch_size"] = options.BatchSize,
            ["communication"] = Communicator.Backend,
            ["gradient_all_reduce_bytes"] = GradientAllReduce?.BytesAllReduced ?? 0,
            ["gradient_all_reduce_calls"] = GradientAllReduce?.AllReduceCalls ?? 0,
            ["gradient_all_reduce_seconds"] = GradientAllReduce?.CommunicationTime.TotalSeconds ?? 0,
            ["sync_bn"] = BatchStatisticsAllReduce is not null,
            ["bn_all_reduce_bytes"] = BatchStatisticsAllReduce?.Bytes ?? 0,
            ["bn_all_reduce_calls"] = BatchStatisticsAllReduce?.Calls ?? 0,
            ["bn_all_reduce_seconds"] = BatchStatisticsAllReduce?.Time.TotalSeconds ?? 0,
            ["train_samples"] = trainSamples,
            ["test_accuracy"] = last.TestAccuracy,
            ["test_loss"] = last.TestLoss,
            ["train_seconds"] = history.Sum(h => h.TrainSeconds),
            ["peak_pool_bytes"] = history.Max(h => h.PeakPoolBytes),
            ["forward_macs_per_iteration"] = last.ForwardMacsPerIteration,
            ["backward_macs_per_iteration"] = last.BackwardMacsPerIteration,
            ["history"] = history,
        };
        var json = JsonSerializer.Serialize(summary, FiniteNumbers.Json);
        AtomicFile.WriteAllText(Path.Combine(folder, MetricsJsonFile), json);
        var csv = new StringBuilder("epoch,train_loss,train_accuracy,test_loss,test_accuracy,train_seconds,peak_pool_bytes,learning_rate\n");
        foreach (var h in history)
            csv.AppendLine(string.Join(',', new object[] { h.Epoch, h.TrainLoss, h.TrainAccuracy, h.TestLoss, h.TestAccuracy, h.TrainSeconds, h.PeakPoolBytes, h.LearningRate }
                .Select(FiniteNumbers.Cell)));
        AtomicFile.WriteAllText(Path.Combine(folder, MetricsCsvFile), csv.ToString());
    }
}
