using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using IlgpuSnn.Data;
using IlgpuSnn.Formats;
using IlgpuSnn.Tools;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.Cli;

/// <summary>`snn compare`: one network trained by every estimator; a table and a plot of memory against T.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var estimators = new Option<string>("--estimators") { Description = "Comma-separated estimators (default: all).", DefaultValueFactory = _ => string.Join(',', EstimatorFactory.Names) };
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, mnist, or a folder with IDX files.", DefaultValueFactory = _ => "fashion-mnist" };
        var model = new Option<string>("--model") { Description = "One of: " + string.Join(", ", Models.Names) + " (vgg11-ws: the official OTTT VGG-11 with scaled weight standardisation).", DefaultValueFactory = _ => "mlp" };
        var timeSteps = new Option<int>("--time-steps", "-T") { Description = "Time steps for training.", DefaultValueFactory = _ => 4 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs per estimator.", DefaultValueFactory = _ => 1 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per batch.", DefaultValueFactory = _ => 64 };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 0.05f };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training samples." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only the first N test samples." };
        var memorySteps = new Option<string>("--memory-steps") { Description = "Time steps at which working memory is measured.", DefaultValueFactory = _ => "2,4,8,16" };
        var device = new Option<string?>("--device") { Description = "cuda, opencl or cpu[:index]." };
        var output = new Option<string>("--out") { Description = "Folder for compare.md, compare.csv, compare.json and memory.png.", DefaultValueFactory = _ => "out/compare" };
        var seed = new Option<int>("--seed") { Description = "Seed shared by every run.", DefaultValueFactory = _ => 1 };
        var window = new Option<int?>("--window") { Description = "tt-lbptt: truncation window in steps (default: T/2)." };
        var blocks = new Option<int?>("--blocks") { Description = "tt-lbptt: locally trained blocks, each but the last with an auxiliary head (1 = plain truncated BPTT; default 2, or 1 for a network with one spiking layer)." };
        var update = new Option<string>("--update") { Description = "tt-lbptt: accumulated or per-window.", DefaultValueFactory = _ => "accumulated" };
        var auxHead = new Option<string>("--aux-head") { Description = "tt-lbptt: pool-linear or linear.", DefaultValueFactory = _ => "pool-linear" };
        var command = new Command("compare", "Train one network with every estimator and compare accuracy, memory, MACs and time (ratios to BPTT).")
        {
            estimators, dataset, model, timeSteps, epochs, batchSize, lr, trainLimit, testLimit, memorySteps, device, output, seed, window, blocks, update, auxHead,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliErrors.Run("compare", parse, () =>
        {
            var names = parse.GetValue(estimators)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new ArgumentException("--estimators lists no estimator.");
            foreach (var n in names) OptionValidation.OneOf("--estimators", n, EstimatorFactory.Names);
            var steps = OptionValidation.PositiveList("--memory-steps", parse.GetValue(memorySteps)!);
            int t = parse.GetValue(timeSteps), s = parse.GetValue(seed), epochCount = parse.GetValue(epochs), batch = parse.GetValue(batchSize);
            OptionValidation.Positive("--time-steps", t);
            OptionValidation.Positive("--epochs", epochCount);
            OptionValidation.Positive("--batch-size", batch);
            OptionValidation.Positive("--train-limit", parse.GetValue(trainLimit));
            OptionValidation.Positive("--test-limit", parse.GetValue(testLimit));
            float rate = parse.GetValue(lr);
            OptionValidation.LearningRate("--lr", rate);
            string m = parse.GetValue(model)!;
            OptionValidation.OneOf("--model", m, Models.Names);
            var dir = parse.GetValue(output)!;
            OptionValidation.WritableFolder("--out", dir);
            OptionValidation.Positive("--window", parse.GetValue(window));
            OptionValidation.Positive("--blocks", parse.GetValue(blocks));
            bool perWindow = TtLbpttOptions.PerWindow(parse.GetValue(update)!);
            var head = TtLbpttOptions.Head(parse.GetValue(auxHead)!);

            var (train, test) = VisionDatasets.Load(parse.GetValue(dataset)!);
            if (parse.GetValue(trainLimit) is { } tl) train = train.Take(Math.Min(tl, train.Count));
            if (parse.GetValue(testLimit) is { } el) test = test.Take(Math.Min(el, test.Count));
            using var d = Device.Create(parse.GetValue(device));
            var neuron = new NeuronSpec(Decay: 0.5f);
            SpikingNetwork Build(Device dev) => Models.Create(m, dev, [train.Channels, train.Height, train.Width], train.Classes, neuron, s);
            EstimatorOptions options;
            using (var probe = Build(d))
            {
                options = new EstimatorOptions
                {
                    K = Math.Max(1, t / 2), Window = parse.GetValue(window) ?? Math.Max(1, t / 2),
                    Blocks = TruncatedLocalBptt.EvenBlocks(probe.NeuronLayerIndices.Count, parse.GetValue(blocks) ?? Math.Min(2, probe.NeuronLayerIndices.Count)),
                    PerWindowUpdate = perWindow, AuxiliaryHead = head,
                };
                foreach (var n in names) MemoryEstimate.Require(d, probe, n, Math.Max(t, steps.Max()), Math.Min(batch, Math.Max(train.Count, 1)), options.Window);
            }
            var training = new TrainingOptions { Epochs = epochCount, BatchSize = batch, TimeSteps = t, Seed = s };
            var rows = new List<ComparisonRow>();
            Interrupt.Current.Saved = () => rows.Count == 0 ? "no estimator finished, nothing was written" : $"the rows of {string.Join(", ", rows.Select(r => r.Estimator))} are in '{dir}'";
            foreach (var name in names)
            {
                try
                {
                    rows.AddRange(EstimatorComparison.Run(d, Build, [name], options, train, test, training, steps,
                        p => new Sgd(p, rate, momentum: 0.9f, weightDecay: 5e-4f), new Progress<string>(Console.WriteLine), cancellationToken));
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine($"Stopped; {Interrupt.Current.Saved()}.");
                    return CliErrors.Interrupted;
                }
                Write(dir, rows, d.Info.ToString(), m, t, train.Count, steps, Describe(options));
            }
            Console.WriteLine(File.ReadAllText(Path.Combine(dir, "compare.md")));
            return 0;
        })));
        return command;
    }

    /// <summary>Rewrites the table, CSV, JSON and plot with the rows finished so far (called after every estimator).</summary>
    private static void Write(string dir, List<ComparisonRow> rows, string device, string model, int timeSteps, int samples, int[] steps, string settings)
    {
        var baseline = rows.FirstOrDefault(r => r.Estimator == "bptt") ?? rows[0];
        static string Ratio(double x, double b) => b == 0 ? "-" : (x / b).ToString("F2", CultureInfo.InvariantCulture);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Model {model}, T = {timeSteps}, {samples} training samples, device {device}, {DateTime.UtcNow:yyyy-MM-dd}. Ratios are to {baseline.Estimator}. {settings}");
        md.AppendLine();
        md.AppendLine("| estimator | test acc | Δ acc (points) | peak pool MiB | ratio | fwd MACs/iter | ratio | bwd MACs/iter | ratio | s/epoch | ratio | " + string.Join(" | ", steps.Select(s => $"work MiB T={s}")) + " |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|" + string.Concat(steps.Select(_ => "---|")));
        foreach (var r in rows)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Estimator} | {r.TestAccuracy:P2} | {(r.TestAccuracy - baseline.TestAccuracy) * 100:+0.00;-0.00} | {r.PeakPoolBytes / 1048576.0:F2} | {Ratio(r.PeakPoolBytes, baseline.PeakPoolBytes)} | {r.ForwardMacs:E3} | {Ratio(r.ForwardMacs, baseline.ForwardMacs)} | {r.BackwardMacs:E3} | {Ratio(r.BackwardMacs, baseline.BackwardMacs)} | {r.SecondsPerEpoch:F1} | {Ratio(r.SecondsPerEpoch, baseline.SecondsPerEpoch)} | ")
                + string.Join(" | ", steps.Select(s => (r.WorkingBytesByTimeSteps[s] / 1048576.0).ToString("F3", CultureInfo.InvariantCulture))) + " |");
        }
        AtomicFile.WriteAllText(Path.Combine(dir, "compare.md"), md.ToString());
        var csv = new StringBuilder("estimator,test_accuracy,peak_pool_bytes,forward_macs,backward_macs,seconds_per_epoch," + string.Join(',', steps.Select(s => $"working_bytes_t{s}")) + "\n");
        foreach (var r in rows)
            csv.AppendLine(string.Join(',', new object[] { r.Estimator, r.TestAccuracy, r.PeakPoolBytes, r.ForwardMacs, r.BackwardMacs, r.SecondsPerEpoch }
                .Concat(steps.Select(s => (object)r.WorkingBytesByTimeSteps[s])).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        AtomicFile.WriteAllText(Path.Combine(dir, "compare.csv"), csv.ToString());
        AtomicFile.WriteAllText(Path.Combine(dir, "compare.json"), JsonSerializer.Serialize(rows, JsonOptions));
        var plot = new ScottPlot.Plot();
        foreach (var r in rows)
        {
            var line = plot.Add.Scatter(steps.Select(s => (double)s).ToArray(), steps.Select(s => r.WorkingBytesByTimeSteps[s] / 1048576.0).ToArray());
            line.LegendText = r.Estimator;
        }
        plot.Title($"Working memory of one iteration ({model}, {device})");
        plot.XLabel("time steps T");
        plot.YLabel("pool peak above baseline (MiB)");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(dir, "memory.png"), 900, 560);
    }

    /// <summary>The method settings the table's rows ran with, in one line.</summary>
    private static string Describe(EstimatorOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"sltt-k K = {o.K}; tt-lbptt window {o.Window}, blocks [{string.Join("], [", o.Blocks!.Select(b => string.Join(", ", b)))}] (spiking layers), " +
        $"{(o.Blocks!.Count > 1 ? (o.AuxiliaryHead == AuxiliaryHead.PoolLinear ? "pool-linear" : "linear") + " auxiliary heads, " : "")}" +
        $"{(o.PerWindowUpdate ? "per-window" : "accumulated")} update.");

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}
