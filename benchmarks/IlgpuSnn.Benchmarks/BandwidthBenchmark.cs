using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using IlgpuSnn.Kernels;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// How close the element-wise kernels come to the memory bandwidth: GB/s (bytes each kernel must read and write, per
/// wall second and per CPU-second of the process) of the LIF sequence forward and backward (soft reset, sigmoid, σ'
/// kept: what BPTT runs), BatchNorm forward (statistics + normalise, x̂ kept) and backward (sums + input gradient) on
/// [N, 64, 32, 32] and on [N, 256] (after a linear layer),
/// 2×2 average pooling forward and backward, next to STREAM-like copy and triad measured in the same run: the device's
/// own copy kernel and y = a·x + b·y, and plain .NET loops on host arrays with one task per core. The ALIF sequence
/// keeps σ' and (u, a), as BPTT runs it.
/// Usage: <c>IlgpuSnn.Benchmarks bandwidth [--floats 8388608] [--repeats 10] [--rounds 2] [--only TEXT]</c>; --only keeps
/// the kernels whose name contains TEXT (and the device copy and triad, the reference).
/// </summary>
internal static class BandwidthBenchmark
{
    public static int Run(IReadOnlyList<string> args)
    {
        string Option(string name, string fallback)
        {
            for (int i = 0; i + 1 < args.Count; i++) if (args[i] == name) return args[i + 1];
            return fallback;
        }

        int n = int.Parse(Option("--floats", "8388608"), CultureInfo.InvariantCulture);
        int repeats = int.Parse(Option("--repeats", "10"), CultureInfo.InvariantCulture);
        int rounds = int.Parse(Option("--rounds", "2"), CultureInfo.InvariantCulture);
        string only = Option("--only", "");
        const int T = 8, Channels = 64, Side = 32;
        n = Math.Max(T * Channels * Side * Side, n / (T * Channels * Side * Side) * (T * Channels * Side * Side));
        using var device = Device.Create();
        Console.WriteLine($"device {device}; {n} floats ({n * 4L / 1048576} MiB) per array, {repeats} repeats per measure, {rounds} interleaved rounds; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine("| round | kernel | bytes / element | GB/s (wall) | GB per CPU-second |");
        Console.WriteLine("|---|---|---|---|---|");
        var rng = new Random(1);
        float[] Random(int count, float lo, float hi) => Enumerable.Range(0, count).Select(_ => lo + (hi - lo) * rng.NextSingle()).ToArray();
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(device, Random(n, -0.5f, 1.5f), n);
        var b = Tensor.FromArray(device, Random(n, -1f, 1f), n);
        var c = Tensor.Empty(device, n);
        var d = Tensor.Empty(device, n);
        var mean = Tensor.Empty(device, Channels);
        var variance = Tensor.Empty(device, Channels);
        var runningMean = Tensor.Zeros(device, Channels);
        var runningVar = Tensor.Full(device, 1f, Channels);
        var scale = Tensor.Empty(device, Channels);
        const int Features = 256;
        var features = Tensor.Full(device, 1f, Features);
        var runningFeatures = Tensor.Zeros(device, Features);
        var runningFeatures2 = Tensor.Full(device, 1f, Features);
        var featureScale = Tensor.Empty(device, Features);
        var featureSums = Tensor.Empty(device, Features);
        var featureSums2 = Tensor.Empty(device, Features);
        var gamma = Tensor.Full(device, 1.2f, Channels);
        var beta = Tensor.Full(device, 0.1f, Channels);
        var pooled = Tensor.Empty(device, n / 4);
        var lif = NeuronKernelSetFactory.For(new NeuronSpec(Decay: 0.5f));
        var alif = NeuronKernelSetFactory.For(NeuronSpec.Alif());
        var adaptive = Tensor.Empty(device, 2 * n);
        const int spatial = Side * Side;
        var hostX = Random(n, 0f, 1f);
        var hostY = new float[n];
        var hostZ = Random(n, 0f, 1f);
        var cases = new (string Name, double Bytes, Action Run)[]
        {
            ("host copy (.NET, 1 task per core)", 8, () => HostParallel(n, (s, e) => hostX.AsSpan(s, e - s).CopyTo(hostY.AsSpan(s, e - s)))),
            ("host triad y = x + 3z (Vector256)", 12, () => HostParallel(n, (s, e) => Triad(hostX, hostZ, hostY, s, e))),
            ("device copy", 8, () => Elementwise.Copy(device, a.View, c.View)),
            ("device y = a·x + b·y", 12, () => Elementwise.Axpby(device, 3f, a.View, 1f, c.View)),
            ("LIF sequence forward (s, σ')", 12, () => lif.Sequence(device, a.View, c.View, d.View, null, null, null, n / T, T)),
            ("LIF sequence backward", 12, () => lif.SequenceBackward(device, b.View, d.View, null, null, null, c.View, null, null, n / T, T)),
            ("ALIF sequence forward (s, σ', u, a)", 20, () => alif.Sequence(device, a.View, c.View, d.View, adaptive.View, null, null, n / T, T)),
            ("ALIF sequence backward", 20, () => alif.SequenceBackward(device, b.View, d.View, null, adaptive.View, null, c.View, null, null, n / T, T)),
            ("BatchNorm forward (stats + y, x̂)", 16, () =>
                BatchNormKernels.TrainForward(device, a.View, gamma.View, beta.View, runningMean.View, runningVar.View, 0.1f, 1e-5f, c.View, d.View, true, scale.View, Channels, spatial)),
            ("BatchNorm backward (sums + dx)", 20, () => BatchNormKernels.Backward(device, b.View, d.View, scale.View, mean.View, variance.View, c.View, Channels, spatial)),
            ("BatchNorm1d forward [N, 256] (stats + y, x̂)", 16, () =>
                BatchNormKernels.TrainForward(device, a.View, features.View, features.View, runningFeatures.View, runningFeatures2.View, 0.1f, 1e-5f, c.View, d.View, true, featureScale.View, Features, 1)),
            ("BatchNorm1d backward [N, 256] (sums + dx)", 20, () =>
                BatchNormKernels.Backward(device, b.View, d.View, featureScale.View, featureSums.View, featureSums2.View, c.View, Features, 1)),
            ("avg pool 2x2 forward", 5, () => Pooling.AvgPool2d(device, a.View, pooled.View, Side, Side, 2, 2)),
            ("avg pool 2x2 backward", 5, () => Pooling.AvgPool2dBackward(device, pooled.View, c.View, Side, Side, 2, 2)),
        };
        cases = cases.Where(c => c.Name.Contains(only, StringComparison.OrdinalIgnoreCase) || c.Name.StartsWith("device", StringComparison.Ordinal)).ToArray();
        foreach (var (_, _, run) in cases) run(); // compile and touch every buffer once
        device.Synchronize();
        for (int round = 1; round <= rounds; round++)
            foreach (var (name, bytes, run) in cases)
            {
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                for (int r = 0; r < repeats; r++) run();
                device.Synchronize();
                watch.Stop();
                process.Refresh();
                double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
                double gb = bytes * n * repeats / 1e9;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {round} | {name} | {bytes} | {gb / watch.Elapsed.TotalSeconds:F1} | {gb / cpu:F1} |"));
            }
        return 0;
    }

    private static void HostParallel(int n, Action<int, int> chunk)
    {
        int tasks = Environment.ProcessorCount;
        Parallel.For(0, tasks, k => chunk((int)((long)n * k / tasks), (int)((long)n * (k + 1) / tasks)));
    }

    private static void Triad(float[] x, float[] z, float[] y, int start, int end)
    {
        int i = start;
        var three = Vector256.Create(3f);
        for (; i + 8 <= end; i += 8)
            (Vector256.Create(x, i) + Vector256.Create(z, i) * three).CopyTo(y, i);
        for (; i < end; i++) y[i] = x[i] + 3f * z[i];
    }
}
