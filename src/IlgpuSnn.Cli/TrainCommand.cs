using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using IlgpuSnn.Data;
using IlgpuSnn.Distributed;
using IlgpuSnn.Data.Events;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;
using Spectre.Console;

namespace IlgpuSnn.Cli;

/// <summary>`snn train`: the main job.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, mnist, a folder with IDX files, or NAME:PATH with NAME cifar10, nmnist, cifar10-dvs, dvs-gesture, shd or ssc and PATH the unpacked official folder.", DefaultValueFactory = _ => "fashion-mnist" };
        var frames = FrameCommandOptions.Create();
        var estimator = new Option<string>("--estimator") { Description = "One of: " + string.Join(", ", EstimatorFactory.Names) + ".", DefaultValueFactory = _ => "bptt" };
        var model = new Option<string>("--model") { Description = "One of: " + string.Join(", ", Models.Names) + " (vgg11-ws: the official OTTT VGG-11 with scaled weight standardisation; rsnn: recurrent, for shd/ssc).", DefaultValueFactory = _ => "mlp" };
        var timeSteps = new Option<int>("--time-steps", "-T") { Description = "Time steps per sample.", DefaultValueFactory = _ => 4 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => 2 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per batch.", DefaultValueFactory = _ => 64 };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate (cosine schedule).", DefaultValueFactory = _ => 0.05f };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd (momentum 0.9) or adamw.", DefaultValueFactory = _ => "sgd" };
        var device = new Option<string?>("--device") { Description = $"cuda, opencl or cpu[:index]; default: {Device.EnvironmentVariable} or the best present." };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training samples." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only the first N test samples." };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, shuffling, encoding and dropout.", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Folder for metrics.json, metrics.csv and the checkpoint.", DefaultValueFactory = _ => "out" };
        var encoder = new Option<string>("--encoder") { Description = "direct (repeat the image) or poisson (rate spikes).", DefaultValueFactory = _ => "direct" };
        var window = new Option<int?>("--window") { Description = "tt-lbptt: truncation window in steps." };
        var blocks = new Option<int?>("--blocks") { Description = "tt-lbptt: number of locally trained blocks (consecutive spiking layers, as even as possible)." };
        var update = new Option<string>("--update")
        {
            Description = "tt-lbptt: accumulated (one optimizer step per sequence) or per-window (a step after every window: the paper's update unlocking).",
            DefaultValueFactory = _ => "accumulated",
        };
        var auxHead = new Option<string>("--aux-head")
        {
            Description = "tt-lbptt: the auxiliary classifier of each non-final block: pool-linear (global average pooling, then linear) or linear (flatten, then linear).",
            DefaultValueFactory = _ => "pool-linear",
        };
        var k = new Option<int?>("--k") { Description = "sltt-k: steps back-propagated per sequence." };
        var bnStats = new Option<string?>("--bn-stats")
        {
            Description = "BatchNorm statistics: per-step (each step's batch; sltt, sltt-k, ottt, saf always) or folded (all T·B samples, " +
                "k·B per tt-lbptt window). Default: folded for bptt and tt-lbptt (SpikingJelly's multi-step BatchNorm) and ratebp, per-step otherwise. " +
                "ratebp: folded = the official code's 'm' mode (rate pass with the T·B mean and pooled variance), per-step = its 's' mode " +
                "(per-step statistics; rate pass with the mean of the per-step means and the harmonic mean of var_t + eps, eps added again).",
        };
        var lossKind = new Option<string>("--loss")
        {
            Description = "ce, mse (against one-hot targets) or ce+mse[:lambda] = (1 − λ)·CE + λ·MSE (the SLTT/OTTT recipe, λ = 0.05 by default).",
            DefaultValueFactory = _ => "ce",
        };
        var lossOn = new Option<string?>("--loss-on")
        {
            Description = "per-step (L = (1/T) Σ_t ℓ(o[t])) or mean-output (L = ℓ(ō)). Default: the method's own (mean-output for ratebp, " +
                "per-step otherwise); methods that back-propagate step by step refuse mean-output.",
        };
        var syncBn = new Option<bool>("--sync-bn")
        {
            Description = "Under mpirun: BatchNorm normalises with the statistics of the whole global batch (all-reduced in the forward and the " +
                "backward), so R ranks train as one process would. Default: each rank's own part (running statistics averaged every epoch).",
        };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out (it must exist and match these settings)." };
        var forceResume = new Option<bool>("--force-resume") { Description = "With --resume: continue even if the checkpoint was written with other settings." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Start again and replace an existing checkpoint in --out." };
        var noWarmUp = new Option<bool>("--no-warm-up")
        {
            Description = "Do not warm the device up while the data loads (by default a scratch copy of the network trains one synthetic batch " +
                "meanwhile, so that the first epoch does not pay for compiling kernels; image datasets only).",
        };
        var skipNonFinite = new Option<bool>("--skip-nonfinite") { Description = "Skip updates whose gradients are NaN or infinite instead of stopping." };
        var neuron = new Option<string>("--neuron") { Description = "One of: " + string.Join(", ", NeuronSpec.Names) + ".", DefaultValueFactory = _ => "lif" };
        var reset = new Option<string>("--reset") { Description = "soft (subtract the threshold) or hard (to zero; NIR export needs it).", DefaultValueFactory = _ => "soft" };
        var surrogate = new Option<string>("--surrogate") { Description = "NAME[:alpha], NAME one of: " + string.Join(", ", Surrogate.Names) + " (e.g. sigmoid:4).", DefaultValueFactory = _ => "sigmoid" };
        var command = new Command("train", "Train a spiking network on an image dataset with the chosen gradient estimator.")
        {
            frames.Frames, frames.SplitBy, frames.Duration, frames.Size, frames.Cache,
            dataset, estimator, model, timeSteps, epochs, batchSize, lr, optimizer, device, trainLimit, testLimit, seed, output, encoder, window, blocks, k, resume, neuron, surrogate,
            forceResume, overwrite, skipNonFinite, noWarmUp, bnStats, lossKind, lossOn, update, auxHead, syncBn, reset,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliErrors.Run("train", parse, () => Run(new TrainSettings(
            parse.GetValue(dataset)!, parse.GetValue(estimator)!, parse.GetValue(model)!, parse.GetValue(timeSteps), parse.GetValue(epochs),
            parse.GetValue(batchSize), parse.GetValue(lr), parse.GetValue(optimizer)!, parse.GetValue(device), parse.GetValue(trainLimit),
            parse.GetValue(testLimit), parse.GetValue(seed), parse.GetValue(output)!, parse.GetValue(encoder)!, parse.GetValue(window),
            parse.GetValue(blocks), parse.GetValue(k), parse.GetValue(resume), parse.GetValue(neuron)!, parse.GetValue(surrogate)!, frames.Read(parse))
        {
            ForceResume = parse.GetValue(forceResume), Overwrite = parse.GetValue(overwrite), SkipNonFinite = parse.GetValue(skipNonFinite),
            BnStats = parse.GetValue(bnStats), Loss = parse.GetValue(lossKind)!, LossOn = parse.GetValue(lossOn),
            Update = parse.GetValue(update)!, AuxHead = parse.GetValue(auxHead)!, SyncBn = parse.GetValue(syncBn), Reset = parse.GetValue(reset)!,
            WarmUp = !parse.GetValue(noWarmUp),
        }, cancellationToken))));
        return command;
    }

    internal sealed record TrainSettings(string Dataset, string Estimator, string Model, int TimeSteps, int Epochs, int BatchSize, float Lr,
        string Optimizer, string? Device, int? TrainLimit, int? TestLimit, int Seed, string Out, string Encoder, int? Window, int? Blocks,
        int? K, bool Resume, string Neuron, string Surrogate, DatasetSpec.FrameSettings Frames)
    {
        public bool ForceResume { get; init; }

        public bool Overwrite { get; init; }

        public bool SkipNonFinite { get; init; }

        public string? BnStats { get; init; }

        public string Loss { get; init; } = "ce";

        public string? LossOn { get; init; }

        public string Update { get; init; } = "accumulated";

        public string AuxHead { get; init; } = "pool-linear";

        public bool SyncBn { get; init; }

        public string Reset { get; init; } = "soft";

        public bool WarmUp { get; init; } = true;
    }

    internal static BatchNormStatistics? ParseBatchNormStats(string? value) => value switch
    {
        null => null,
        "per-step" => BatchNormStatistics.PerStep,
        "folded" => BatchNormStatistics.Folded,
        _ => throw new ArgumentException($"Unknown --bn-stats '{value}'. Valid: per-step, folded."),
    };

    private static (Criterion, float) ParseLoss(string value)
    {
        if (value == "ce") return (Criterion.CrossEntropy, 0.05f);
        if (value == "mse") return (Criterion.SquaredError, 0.05f);
        if (value == "ce+mse") return (Criterion.CrossEntropyWithSquaredError, 0.05f);
        if (value.StartsWith("ce+mse:", StringComparison.Ordinal)
            && float.TryParse(value["ce+mse:".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out float lambda) && lambda is >= 0f and <= 1f)
            return (Criterion.CrossEntropyWithSquaredError, lambda);
        throw new ArgumentException($"Unknown --loss '{value}'. Valid: ce, mse, ce+mse, ce+mse:LAMBDA with LAMBDA in [0, 1].");
    }

    internal static LossReduction? ParseLossOn(string? value) => value switch
    {
        null => null,
        "per-step" => LossReduction.PerStep,
        "mean-output" => LossReduction.MeanOutput,
        _ => throw new ArgumentException($"Unknown --loss-on '{value}'. Valid: per-step, mean-output."),
    };

    /// <summary>Every check that needs no data: option values, the output folder and what is in it.</summary>
    private static TrainingOptions Validate(TrainSettings s)
    {
        OptionValidation.Positive("--time-steps", s.TimeSteps);
        OptionValidation.Positive("--epochs", s.Epochs);
        OptionValidation.Positive("--batch-size", s.BatchSize);
        OptionValidation.Positive("--train-limit", s.TrainLimit);
        OptionValidation.Positive("--test-limit", s.TestLimit);
        OptionValidation.Positive("--window", s.Window);
        OptionValidation.Positive("--blocks", s.Blocks);
        OptionValidation.Positive("--k", s.K);
        OptionValidation.LearningRate("--lr", s.Lr);
        OptionValidation.OneOf("--estimator", s.Estimator, EstimatorFactory.Names);
        OptionValidation.OneOf("--model", s.Model, Models.Names);
        OptionValidation.OneOf("--optimizer", s.Optimizer, ["sgd", "adamw"]);
        OptionValidation.OneOf("--encoder", s.Encoder, ["direct", "poisson"]);
        OptionValidation.OneOf("--reset", s.Reset, ["soft", "hard"]);
        _ = NeuronSpec.Named(s.Neuron, Surrogate.Parse(s.Surrogate));
        var (criterion, mseWeight) = ParseLoss(s.Loss);
        if (ParseLossOn(s.LossOn) is { } reduction)
        {
            using var method = EstimatorFactory.Create(s.Estimator, new EstimatorOptions { K = s.K ?? 1 });
            try
            {
                LossSupport.Require(method, reduction);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--loss-on {s.LossOn}: {e.Message}", e);
            }
        }
        _ = ParseBatchNormStats(s.BnStats);
        _ = TtLbpttOptions.PerWindow(s.Update);
        _ = TtLbpttOptions.Head(s.AuxHead);
        if (s.Estimator == "sltt-k" && s.K is null) throw new ArgumentException("--estimator sltt-k needs --k.");
        if (s.ForceResume && !s.Resume) throw new ArgumentException("--force-resume only applies with --resume.");
        if (s.Resume && s.Overwrite) throw new ArgumentException("--resume and --overwrite exclude each other.");
        var options = new TrainingOptions
        {
            Epochs = s.Epochs, BatchSize = s.BatchSize, TimeSteps = s.TimeSteps, Seed = s.Seed, OutputDirectory = s.Out, Resume = s.Resume,
            ForceResume = s.ForceResume, Overwrite = s.Overwrite, SkipNonFinite = s.SkipNonFinite, Criterion = criterion, MseWeight = mseWeight,
            RunSettings = new Dictionary<string, string>
            {
                ["dataset"] = s.Dataset, ["model"] = s.Model, ["test_limit"] = s.TestLimit?.ToString(CultureInfo.InvariantCulture) ?? "all",
                ["window"] = s.Window?.ToString(CultureInfo.InvariantCulture) ?? "-", ["blocks"] = s.Blocks?.ToString(CultureInfo.InvariantCulture) ?? "-",
                ["k"] = s.K?.ToString(CultureInfo.InvariantCulture) ?? "-", ["neuron"] = s.Neuron, ["surrogate"] = s.Surrogate,
                ["bn_stats"] = s.BnStats ?? "default", ["loss"] = s.Loss, ["loss_on"] = s.LossOn ?? "default",
                ["update"] = s.Update, ["aux_head"] = s.AuxHead, ["reset"] = s.Reset,
            },
        };
        ResumeCheck.Preflight(options);
        OptionValidation.WritableFolder("--out", s.Out);
        return options;
    }

    private static int Run(TrainSettings s, CancellationToken cancellationToken) =>
        DistributedRun.Run(world => Run(s, world, cancellationToken));

    private static int Run(TrainSettings s, ICommunicator world, CancellationToken cancellationToken)
    {
        var options = Validate(s);
        // Until the trainer exists (a Ctrl-C during the start-up), nothing of this run is on disk.
        Interrupt.Current.Saved = () => s.Resume
            ? $"'{Path.Combine(s.Out, Trainer.CheckpointFile)}' is as it was"
            : "no epoch finished, so no checkpoint was written";
        var neuron = RunNetwork.Spec(s.Neuron, s.Surrogate, s.Reset);
        // Where the shape is known before the pixels are read (image datasets, whose loading needs no device), the data
        // loads on a thread of its own while the device is set up and warmed up with a scratch copy of the run, so that
        // the first epoch does not pay for compiling the run's kernels.
        var early = s.WarmUp ? DatasetSpec.TryDescribe(s.Dataset, s.TrainLimit) : null;
        var watch = Stopwatch.StartNew();
        var loading = early is null ? null : Task.Run(() =>
        {
            var loaded = DatasetSpec.LoadImages(s.Dataset, s.TrainLimit, s.TestLimit);
            return (Data: loaded, Seconds: watch.Elapsed.TotalSeconds);
        }, CancellationToken.None);
        using var device = LocalDevice.Create(s.Device, world);
        using var nccl = Communicator.ForDevice(world, device);
        double deviceSeconds = watch.Elapsed.TotalSeconds;
        using var warmUp = early is null ? null : new BackgroundWarmUp(
            () => TrainingSetup.Build(s, options with { OutputDirectory = null, Epochs = 1, Resume = false }, device, early, null, neuron),
            early, Math.Min(s.BatchSize, Math.Max(early.Count, 1)), cancellationToken);
        LoadedData data;
        double loadSeconds = 0;
        try
        {
            if (loading is null) data = DatasetSpec.Load(s.Dataset, device, s.Frames, s.TrainLimit, s.TestLimit, Console.WriteLine);
            else (data, loadSeconds) = loading.GetAwaiter().GetResult();
        }
        catch
        {
            warmUp?.Stop();
            throw;
        }
        var (train, test) = (data.Train, data.Test);
        if (data.Frames is { } f && s.TimeSteps != f)
            throw new ArgumentException($"--time-steps {s.TimeSteps}: event data is presented as its {f} frames; pass -T {f} (or --frames {s.TimeSteps}).");
        Console.WriteLine($"Training {s.Model} with {s.Estimator.Trim().ToLowerInvariant()} on {device.Info} (T={s.TimeSteps}, {train.Count} training / {test.Count} test samples, {s.Epochs} epochs).");
        var warmed = warmUp?.Finish();
        if (warmUp is not null) Console.WriteLine(StartUpLine(watch.Elapsed.TotalSeconds, loadSeconds, deviceSeconds, warmed));
        var description = new RunNetwork(s.Model, data.InputShape, train.Classes, s.Neuron, s.Surrogate, s.Reset, s.Seed);
        var shape = new ImageSplitShape(train.Count, data.InputShape[0], data.InputShape[1], data.InputShape[2], train.Classes);
        using var run = TrainingSetup.Build(s, options, device, shape, data.Frames, neuron);
        var (network, method, encoder, trainer) = (run.Network, run.Method, run.Encoder, run.Trainer);
        trainer.Communicator = (ICommunicator?)nccl ?? world;
        trainer.SynchronizeBatchNorm = s.SyncBn;
        if (world.Size > 1) Console.WriteLine($"Data-parallel over {world.Size} ranks ({trainer.Communicator.Backend}): global batch {s.BatchSize}, about {s.BatchSize / world.Size} per rank{(s.SyncBn ? ", synchronised BatchNorm" : "")}.");
        Directory.CreateDirectory(s.Out);
        description.Write(s.Out);
        Interrupt.Current.Saved = () => SavedMessage(trainer, s.Out);
        IReadOnlyList<EpochMetrics> history;
        try
        {
            history = RunWithProgress(trainer, train, test, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"Stopped; {SavedMessage(trainer, s.Out)}.");
            return CliErrors.Interrupted;
        }
        if (world.Rank != 0) return 0; // rank 0 alone wrote the metrics; it reports them and draws the pictures
        foreach (var h in history)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {h.Epoch}: train loss {h.TrainLoss:F4} acc {h.TrainAccuracy:P2} | test loss {h.TestLoss:F4} acc {h.TestAccuracy:P2} | {h.TrainSeconds:F1} s ({h.DataSeconds / Math.Max(h.TrainSeconds, 1e-9):P0} waiting for data) | peak {h.PeakPoolBytes / 1048576.0:F1} MiB{(h.SkippedUpdates > 0 ? $" | {h.SkippedUpdates} non-finite updates skipped" : "")}"));
        Console.WriteLine($"Metrics: {Path.GetFullPath(Path.Combine(s.Out, "metrics.json"))}");
        Console.WriteLine($"Pictures: {string.Join(", ", RunPictures.Write(s.Out, network, encoder, test, s.TimeSteps, neuron.Threshold).Select(Path.GetFileName))}");
        return 0;
    }

    /// <summary>What happened before the first epoch while the data loaded (every second of it is outside the epoch's time).</summary>
    private static string StartUpLine(double total, double data, double device, WarmUpReport? warmed)
    {
        var c = CultureInfo.InvariantCulture;
        string what = warmed switch
        {
            null => "warmed up (stopped before it began)",
            { Completed: true } => string.Create(c, $"warmed up ({warmed.Elapsed.TotalSeconds:F1} s: a scratch copy of the network trained and evaluated one synthetic batch, {warmed.KernelsLoaded} kernels compiled in {warmed.KernelLoadTime.TotalSeconds:F1} s)"),
            _ => string.Create(c, $"warmed up until stopped ({warmed.Elapsed.TotalSeconds:F1} s, {warmed.KernelsLoaded} kernels compiled in {warmed.KernelLoadTime.TotalSeconds:F1} s)"),
        };
        return string.Create(c, $"Start-up {total:F1} s: data loaded in {data:F1} s while the device was set up ({device:F1} s) and {what}.");
    }

    private static string SavedMessage(Trainer trainer, string folder) => trainer.SavedEpochs is { } n
        ? $"'{Path.Combine(folder, Trainer.CheckpointFile)}' and the metrics hold {n} finished epoch{(n == 1 ? "" : "s")} (continue with --resume)"
        : "no epoch finished, so no checkpoint was written";

    private static IReadOnlyList<EpochMetrics> RunWithProgress(Trainer trainer, ImageDataset train, ImageDataset test, CancellationToken cancellationToken)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            int lastReported = -1;
            return trainer.Fit(train, test, new SyncProgress(p =>
            {
                int decile = p.Batch * 10 / Math.Max(p.Batches, 1);
                if (p.Phase == "train" && (decile != lastReported || p.Batch == p.Batches))
                {
                    lastReported = decile;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches} loss {p.Loss:F4} acc {p.Accuracy:P1}"));
                }
            }), cancellationToken);
        }
        IReadOnlyList<EpochMetrics> result = [];
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                string key = "";
                result = trainer.Fit(train, test, new SyncProgress(p =>
                {
                    var k = $"{p.Phase}{p.Epoch}";
                    if (k != key)
                    {
                        task?.StopTask();
                        task = ctx.AddTask(p.Phase == "train" ? $"epoch {p.Epoch}/{p.Epochs}" : "  test", maxValue: p.Batches);
                        key = k;
                    }
                    task!.Value = p.Batch;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"{(p.Phase == "train" ? $"epoch {p.Epoch}/{p.Epochs}" : "  test")} loss {p.Loss:F3} acc {p.Accuracy:P1}");
                }), cancellationToken);
            });
        return result;
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
