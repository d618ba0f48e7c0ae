using System.Globalization;
using IlgpuSnn.Data;
using IlgpuSnn.Diagnostics;
using IlgpuSnn.Estimators;
using IlgpuSnn.Kernels;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// Spike density per layer and what the sparse paths give, while a net trains on Fashion-MNIST (BPTT, T 4, batch 64,
/// SGD momentum 0.9, the CLI's defaults otherwise). At probe iterations it (1) records each neuron layer's firing rate
/// on the first training samples (<see cref="NetworkProbe"/>), (2) repeats the same training iteration without
/// updating the weights three times, with the packed GEMM's strip-skipping switch forced dense, forced sparse and at
/// its default, and prints per GEMM shape the share of non-zero rows in the packed op(B) strips (the rows the sparse
/// path visits) and the worker time of each variant, and (3) repeats it with the linear layers' event-driven products
/// (<see cref="SpikeGemm"/>) forced dense and forced event-driven, interleaved, and once at the default switch, and
/// prints per product the input density, both times and the default's choice. <c>--crossover</c> runs
/// <see cref="SpikeGemmCrossover"/> instead. Usage:
/// <c>IlgpuSnn.Benchmarks sparsity [--model conv|mlp] [--iterations 40] [--probes 0,20,39] [--rounds 3]</c>
/// </summary>
internal static class SparsityBenchmark
{
    private const int Steps = 4, BatchSize = 64;

    public static int Run(IReadOnlyList<string> args)
    {
        string Option(string name, string fallback)
        {
            for (int i = 0; i + 1 < args.Count; i++) if (args[i] == name) return args[i + 1];
            return fallback;
        }

        if (args.Contains("--crossover")) return SpikeGemmCrossover.Run(Option);

        string model = Option("--model", "conv");
        int iterations = int.Parse(Option("--iterations", "40"), CultureInfo.InvariantCulture);
        int rounds = int.Parse(Option("--rounds", "3"), CultureInfo.InvariantCulture);
        var probes = Option("--probes", $"0,{iterations / 2},{iterations - 1}").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToHashSet();
        var (train, _) = VisionDatasets.Load("fashion-mnist");
        using var device = Device.Create();
        using var network = Models.Create(model, device, [train.Channels, train.Height, train.Width], train.Classes, NeuronSpec.Named("lif"), seed: 0);
        using var estimator = EstimatorFactory.Create("bptt", new EstimatorOptions());
        estimator.Attach(network);
        using var sgd = new Sgd(network.Parameters.Concat(estimator.ExtraParameters).ToList(), 0.05f, momentum: 0.9f, weightDecay: 5e-4f);
        var update = new EstimatorContext { Update = () => { sgd.Step(); sgd.ZeroGrad(); } };
        var repeat = new EstimatorContext { Update = sgd.ZeroGrad };
        Console.WriteLine($"# Spike sparsity, {model}, BPTT, T {Steps}, batch {BatchSize}, device {device}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        for (int it = 0; it < iterations; it++)
        {
            using var scope = TensorScope.Begin();
            var (input, labels) = Batch(device, train, it);
            var loss = new SequenceLoss(Criterion.CrossEntropy, estimator.RequiredReduction ?? LossReduction.PerStep, labels);
            if (probes.Contains(it))
            {
                Console.WriteLine($"## iteration {it}");
                Console.WriteLine("firing rate per neuron layer (first 16 training samples): " + string.Join(", ",
                    FiringRates(network, train).Select(r => string.Create(CultureInfo.InvariantCulture, $"layer {r.Layer}: {r.Rate:P1}"))));
                // The packed GEMM's strip-skipping path; the linear layers' products go through it too here (their own
                // event-driven form is switched off for these runs and measured below).
                var profiles = new[] { (0f, "dense"), (2f, "sparse"), (HostGemm.SparseBelow, "default") }.Select(v =>
                {
                    float saved = HostGemm.SparseBelow;
                    var (forward, gradient) = (HostSpikeGemm.ForwardBelow, HostSpikeGemm.WeightGradientBelow);
                    (HostSpikeGemm.ForwardBelow, HostSpikeGemm.WeightGradientBelow) = (0f, 0f);
                    HostGemm.SparseBelow = v.Item1;
                    HostGemm.Profile = new GemmProfile();
                    estimator.Run(network, input, loss, repeat);
                    device.Synchronize();
                    var profile = HostGemm.Profile;
                    HostGemm.Profile = null;
                    HostGemm.SparseBelow = saved;
                    (HostSpikeGemm.ForwardBelow, HostSpikeGemm.WeightGradientBelow) = (forward, gradient);
                    return profile.Entries;
                }).ToArray();
                Console.WriteLine("| GEMM (M x N x K, :a/:b transposed) | calls | non-zero rows of op(B) strips | dense worker-ms | sparse worker-ms | sparse / dense | default worker-ms |");
                Console.WriteLine("|---|---|---|---|---|---|---|");
                foreach (var (shape, dense) in profiles[0].OrderByDescending(e => e.Value.Seconds))
                {
                    var sparse = profiles[1][shape];
                    var chosen = profiles[2][shape];
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {shape} | {dense.Calls} | {(double)dense.NonZeroRows / Math.Max(1, dense.Rows):P1} | {dense.Seconds * 1e3:F1} | {sparse.Seconds * 1e3:F1} | {sparse.Seconds / dense.Seconds:F2} | {chosen.Seconds * 1e3:F1} |"));
                }
                LinearTable(device, () =>
                {
                    estimator.Run(network, input, loss, repeat);
                    device.Synchronize();
                }, rounds);
            }
            estimator.Run(network, input, loss, update);
            device.Synchronize();
        }
        return 0;
    }

    /// <summary>
    /// Repeats the iteration with the linear layers' products forced dense and forced event-driven, interleaved for
    /// <paramref name="rounds"/> rounds, then once at the default switch, and prints per product the input density
    /// measured inside the kernel, each form's worker time (summed over the rounds) and the default's choice.
    /// </summary>
    private static void LinearTable(Device device, Action iteration, int rounds)
    {
        float forward = HostSpikeGemm.ForwardBelow, gradient = HostSpikeGemm.WeightGradientBelow;
        var dense = new GemmProfile();
        var events = new SpikeGemmProfile();
        var chosen = new SpikeGemmProfile();
        try
        {
            for (int r = 0; r < rounds; r++)
            {
                (HostSpikeGemm.ForwardBelow, HostSpikeGemm.WeightGradientBelow, HostGemm.Profile) = (0f, 0f, dense);
                iteration();
                (HostSpikeGemm.ForwardBelow, HostSpikeGemm.WeightGradientBelow, HostGemm.Profile, HostSpikeGemm.Profile) = (2f, 2f, null, events);
                iteration();
                HostSpikeGemm.Profile = null;
            }
            (HostSpikeGemm.ForwardBelow, HostSpikeGemm.WeightGradientBelow, HostSpikeGemm.Profile) = (forward, gradient, chosen);
            iteration();
        }
        finally
        {
            (HostSpikeGemm.ForwardBelow, HostSpikeGemm.WeightGradientBelow, HostSpikeGemm.Profile, HostGemm.Profile) = (forward, gradient, null, null);
        }
        Console.WriteLine($"linear layers' products ({rounds} interleaved rounds; worker-ms summed over workers and rounds; default: forward below {forward:P0} (− 4/outs where ins ≥ 4·max(rows, outs)), weight gradient below {gradient:P0}):");
        Console.WriteLine("| product rows x outs x ins | input density | dense worker-ms | event worker-ms | event / dense | default runs |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (key, e) in events.Entries.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var d = key.Split(' ')[^1].Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            string gemm = key.StartsWith("forward", StringComparison.Ordinal) ? $"{d[0]}x{d[1]}x{d[2]}:b" : $"{d[1]}x{d[2]}x{d[0]}:a";
            double denseSeconds = dense.Entries.TryGetValue(gemm, out var de) ? de.Seconds : double.NaN;
            var c = chosen.Entries.GetValueOrDefault(key);
            // A product absent from the default's profile had a threshold of 0: it went straight to the dense GEMM.
            string choice = c is null ? "dense (threshold 0)" : c.EventDriven == 0 ? "dense" : c.EventDriven == c.Calls ? "event" : $"event {c.EventDriven}/{c.Calls}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {key} | {(double)e.NonZero / Math.Max(1, e.Sampled):P1} | {denseSeconds * 1e3:F2} | {e.Seconds * 1e3:F2} | {e.Seconds / denseSeconds:F2} | {choice} |"));
        }
    }

    /// <summary>Batch <paramref name="index"/> of the training set in order, directly encoded: [T, B, C, H, W] and labels [B].</summary>
    private static (Tensor Input, Tensor Labels) Batch(Device device, ImageDataset train, int index)
    {
        int size = train.SampleSize, first = index * BatchSize % (train.Count - BatchSize);
        var frames = new float[Steps * BatchSize * size];
        for (int t = 0; t < Steps; t++) Array.Copy(train.Images, (long)first * size, frames, (long)t * BatchSize * size, (long)BatchSize * size);
        var labels = train.Labels.AsSpan(first, BatchSize).ToArray().Select(l => (float)l).ToArray();
        return (Tensor.FromArray(device, frames, Steps, BatchSize, train.Channels, train.Height, train.Width), Tensor.FromArray(device, labels, BatchSize));
    }

    private static IEnumerable<(int Layer, double Rate)> FiringRates(SpikingNetwork network, ImageDataset train)
    {
        const int samples = 16;
        var sums = new Dictionary<int, double>();
        for (int s = 0; s < samples; s++)
        {
            using var scope = TensorScope.Begin();
            var frames = new float[Steps * train.SampleSize];
            for (int t = 0; t < Steps; t++) Array.Copy(train.Images, (long)s * train.SampleSize, frames, (long)t * train.SampleSize, train.SampleSize);
            foreach (var trace in NetworkProbe.Record(network, Tensor.FromArray(network.Device, frames, Steps, 1, train.Channels, train.Height, train.Width)))
                sums[trace.LayerIndex] = sums.GetValueOrDefault(trace.LayerIndex) + trace.FiringRate / samples;
        }
        return sums.OrderBy(p => p.Key).Select(p => (p.Key, p.Value));
    }
}
