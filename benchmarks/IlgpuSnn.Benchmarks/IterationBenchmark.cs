using System.Diagnostics;
using System.Globalization;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// Whole training iterations of a VGG-11-like spiking CNN (input 3×32×32; 3×3 convs 64-M-128-M-256-256-M-512-512-M-
/// 512-512-M with M = 2×2 average pooling; BatchNorm and LIF after every conv; Linear 512 → 10; SGD) for each estimator
/// and T: milliseconds per iteration, the host synchronisations and kernel launches inside one iteration (the device's
/// <see cref="DeviceActivity"/>; labels as a data loader makes them), the pool's peak bytes and, on CUDA, the driver's
/// view of used memory. <c>--model conv</c> or <c>--model mlp</c> measures the CLI's net of that name instead (Fashion-MNIST
/// shape, 1×28×28). <c>--profile</c> adds, after each timed row, one profiled iteration's time per kernel
/// (<see cref="DeviceActivity.ProfileKernels"/>). Usage: <c>IlgpuSnn.Benchmarks iteration [--model vgg11|conv|mlp]
/// [--batch 128] [--steps 2,4,6,8,16] [--estimators bptt,sltt,...] [--iterations 5] [--size 32] [--width 1.0]
/// [--profile]</c> (plus the global <c>--device</c>).
/// </summary>
internal static class IterationBenchmark
{
    public static int Run(IReadOnlyList<string> args)
    {
        string Option(string name, string fallback)
        {
            for (int i = 0; i + 1 < args.Count; i++) if (args[i] == name) return args[i + 1];
            return fallback;
        }

        int batch = int.Parse(Option("--batch", "128"), CultureInfo.InvariantCulture);
        int iterations = int.Parse(Option("--iterations", "5"), CultureInfo.InvariantCulture);
        int size = int.Parse(Option("--size", "32"), CultureInfo.InvariantCulture);
        double width = double.Parse(Option("--width", "1.0"), CultureInfo.InvariantCulture);
        var steps = Option("--steps", "2,4,6,8,16").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var estimators = Option("--estimators", string.Join(',', EstimatorFactory.Names)).Split(',');
        string model = Option("--model", "vgg11");
        if (model is not ("vgg11" or "conv" or "mlp")) throw new ArgumentException($"--model {model}: expected vgg11, conv or mlp.");
        bool profile = args.Contains("--profile");
        int[] shape = model == "vgg11" ? [3, size, size] : [1, 28, 28];
        using var device = Device.Create();
        Console.WriteLine(model != "vgg11"
            ? $"device {device}; the CLI's {model} net, input 1x28x28, batch {batch}, {iterations} timed iterations after 1 warm-up; {DateTime.UtcNow:yyyy-MM-dd}"
            : $"device {device}; VGG-11-like SNN, input 3x{size}x{size}, batch {batch}, width x{width}, {iterations} timed iterations after 1 warm-up; {DateTime.UtcNow:yyyy-MM-dd}");
        Console.WriteLine("| estimator | T | ms / iteration | host syncs / iteration | launches / iteration | CPU hand-offs / iteration | pool peak MiB | driver used MiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var name in estimators)
            foreach (var t in steps)
            {
                var (ms, syncs, launches, handOffs, peak, driver) = Measure(device, model, shape, name, t, batch, width, iterations, profile);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {t} | {ms:F1} | {syncs:F0} | {launches:F0} | {handOffs:F0} | {peak / 1048576.0:F0} | {(driver < 0 ? "-" : (driver / 1048576.0).ToString("F0", CultureInfo.InvariantCulture))} |"));
            }
        return 0;
    }

    /// <summary>The VGG-11-like network (channel counts scaled by <paramref name="width"/>).</summary>
    public static SpikingNetwork Vgg11(Device device, int size, double width)
    {
        int C(int c) => Math.Max(1, (int)(c * width));
        var lif = new NeuronSpec(Decay: 0.5f);
        return SpikingNetwork.Build(device, [3, size, size], b =>
        {
            void Conv(int c) => b.Conv2d(C(c), 3, padding: 1, bias: false).BatchNorm().Lif(lif);
            Conv(64); b.AvgPool2d(2);
            Conv(128); b.AvgPool2d(2);
            Conv(256); Conv(256); b.AvgPool2d(2);
            Conv(512); Conv(512); b.AvgPool2d(2);
            Conv(512); Conv(512); b.AvgPool2d(2);
            b.Flatten().Linear(10);
        }, seed: 1);
    }

    private static (double Ms, double Syncs, double Launches, double HandOffs, long Peak, long Driver) Measure(Device device, string model, int[] shape, string name, int steps, int batch,
        double width, int iterations, bool profile)
    {
        using var network = model == "vgg11" ? Vgg11(device, shape[1], width) : Models.Create(model, device, shape, 10, new NeuronSpec(Decay: 0.5f), seed: 1);
        using var estimator = EstimatorFactory.Create(name, new EstimatorOptions { K = Math.Max(1, steps / 2), Window = Math.Max(1, steps / 2) });
        estimator.Attach(network);
        using var sgd = new Sgd(network.Parameters.Concat(estimator.ExtraParameters).ToList(), 0.01f, momentum: 0.9f);
        var rng = new Random(3);
        // One frame repeated over time (the direct encoding, the trainer's default): SAF refuses BatchNorm with an input that varies.
        var frame = Enumerable.Range(0, batch * shape[0] * shape[1] * shape[2]).Select(_ => rng.NextSingle()).ToArray();
        using var input = Tensor.FromArray(device, Enumerable.Range(0, steps).SelectMany(_ => frame).ToArray(), steps, batch, shape[0], shape[1], shape[2]);
        using var labels = Tensor.FromArray(device, Enumerable.Range(0, batch).Select(i => (float)(i % 10)).ToArray(), batch);
        labels.CheckedClassCount = 10; // what the data loader marks: labels it checked on the host before the upload
        var loss = new SequenceLoss(Criterion.CrossEntropy, estimator.RequiredReduction ?? LossReduction.PerStep, labels);
        var context = new EstimatorContext { Update = () => { sgd.Step(); sgd.ZeroGrad(); } };
        estimator.Run(network, input, loss, context).Dispose();
        device.Synchronize();
        device.Pool.ResetPeak();
        long before = DriverUsedBytes(device);
        long driverPeak = before;
        var watch = Stopwatch.StartNew();
        long syncs = 0, launches = 0, handOffs = 0;
        for (int i = 0; i < iterations; i++)
        {
            device.Activity.Reset();
            estimator.Run(network, input, loss, context).Dispose();
            syncs += device.Activity.HostSynchronizations;
            launches += device.Activity.KernelLaunches;
            device.Synchronize();
            handOffs += device.Activity.HostHandOffs; // the CPU accelerator runs its recorded kernels at the synchronisation
            driverPeak = Math.Max(driverPeak, DriverUsedBytes(device));
        }
        watch.Stop();
        if (profile) PrintProfile(device, () => estimator.Run(network, input, loss, context).Dispose());
        return (watch.Elapsed.TotalMilliseconds / iterations, (double)syncs / iterations, (double)launches / iterations, (double)handOffs / iterations,
            device.Pool.PeakBytes, driverPeak);
    }

    /// <summary>Runs one iteration with every launch timed and prints the kernels by time (before the row it belongs to).</summary>
    private static void PrintProfile(Device device, Action iteration)
    {
        device.Activity.Reset();
        device.Activity.ProfileKernels = true;
        var gemms = GemmThroughput.BeginShapeProfile();
        var watch = Stopwatch.StartNew();
        iteration();
        device.Synchronize();
        watch.Stop();
        device.Activity.ProfileKernels = false;
        GemmThroughput.EndShapeProfile(gemms);
        var kernels = device.Activity.KernelProfile();
        double sum = kernels.Sum(k => k.Seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  profiled iteration: {watch.Elapsed.TotalMilliseconds:F2} ms, {kernels.Sum(k => k.Launches)} launches, {sum * 1e3:F2} ms inside launches"));
        foreach (var k in kernels)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {k.Kernel,-60} {k.Launches,5} launches {k.Seconds * 1e3,8:F3} ms ({k.Seconds / k.Launches * 1e6:F1} us each)"));
    }

    /// <summary>Device memory in use according to the CUDA driver (−1 on other devices).</summary>
    private static long DriverUsedBytes(Device device) =>
        device.Accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cuda ? cuda.MemorySize - cuda.GetFreeMemory() : -1;
}
