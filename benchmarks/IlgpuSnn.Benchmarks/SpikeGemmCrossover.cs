using System.Diagnostics;
using System.Globalization;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// The crossover of the linear layer's event-driven products (<see cref="SpikeGemm"/>): for each shape (rows x outs x
/// ins, the layer's call in a BPTT iteration) and spike density, the same forward and weight-gradient call forced dense
/// and forced event-driven, interleaved (dense, event, dense, event, ...) for a number of rounds; each timing is the
/// process's CPU seconds (user + system, all threads) and wall seconds of a batch of calls; medians over the rounds.
/// Usage: <c>IlgpuSnn.Benchmarks sparsity --crossover [--shapes 256x10x256,...] [--densities 0.02,0.1,...] [--rounds 5]</c>
/// </summary>
internal static class SpikeGemmCrossover
{
    public static int Run(Func<string, string, string> option)
    {
        var shapes = option("--shapes", "256x10x256,256x256x784,256x10x3136,256x256x256,64x10x256,64x256x784")
            .Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var densities = option("--densities", "0.01,0.02,0.05,0.1,0.2,0.3,0.4,0.5,0.7")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        int rounds = int.Parse(option("--rounds", "5"), CultureInfo.InvariantCulture);
        using var device = Device.Create();
        Console.WriteLine($"# Event-driven vs dense linear products, device {device}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {rounds} interleaved rounds, medians");
        Console.WriteLine("| rows x outs x ins | density | product | calls per timing | dense CPU-ms per call | event CPU-ms per call | event / dense (CPU) | event / dense (wall) | dense worker-ms per call | event worker-ms per call |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var d in shapes)
        {
            int rows = d[0], outs = d[1], ins = d[2];
            var rng = new Random(1);
            using var w = Tensor.FromArray(device, Enumerable.Range(0, outs * ins).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), outs, ins);
            using var g = Tensor.FromArray(device, Enumerable.Range(0, rows * outs).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), rows, outs);
            using var y = Tensor.Zeros(device, rows, outs);
            using var dw = Tensor.Zeros(device, outs, ins);
            // Enough calls that one timing takes about 20 ms of dense work at 50 GFLOP/s.
            int calls = (int)Math.Clamp(20e-3 * 50e9 / (2.0 * rows * outs * ins), 1, 2000);
            foreach (double density in densities)
            {
                using var x = Tensor.FromArray(device, Enumerable.Range(0, rows * ins).Select(_ => rng.NextDouble() < density ? 1f : 0f).ToArray(), rows, ins);
                foreach (var product in new[] { "forward", "weight gradient" })
                {
                    void Call(float threshold)
                    {
                        for (int c = 0; c < calls; c++)
                        {
                            if (product == "forward") SpikeGemm.Forward(device, x.View, w.View, y.View, rows, outs, ins, eventDrivenBelow: threshold);
                            else SpikeGemm.WeightGradient(device, g.View, x.View, dw.View, rows, outs, ins, eventDrivenBelow: threshold);
                        }
                        device.Synchronize();
                    }

                    Call(0f);
                    Call(2f);
                    var dense = new List<(double Cpu, double Wall)>();
                    var events = new List<(double Cpu, double Wall)>();
                    var denseProfile = new SpikeGemmProfile();
                    var eventProfile = new SpikeGemmProfile();
                    for (int r = 0; r < rounds; r++)
                    {
                        HostSpikeGemm.Profile = denseProfile;
                        dense.Add(Time(() => Call(0f)));
                        HostSpikeGemm.Profile = eventProfile;
                        events.Add(Time(() => Call(2f)));
                        HostSpikeGemm.Profile = null;
                    }
                    double WorkerMs(SpikeGemmProfile p) => p.Entries.Values.Sum(e => e.Seconds) * 1e3 / (rounds * calls);
                    double dc = Median(dense.Select(t => t.Cpu)), ec = Median(events.Select(t => t.Cpu));
                    double dwall = Median(dense.Select(t => t.Wall)), ewall = Median(events.Select(t => t.Wall));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {rows}x{outs}x{ins} | {density:P0} | {product} | {calls} | {dc * 1e3 / calls:F3} | {ec * 1e3 / calls:F3} | {ec / dc:F2} | {ewall / dwall:F2} | {WorkerMs(denseProfile):F3} | {WorkerMs(eventProfile):F3} |"));
                }
            }
        }
        return 0;
    }

    private static (double Cpu, double Wall) Time(Action action)
    {
        using var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        action();
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        process.Refresh();
        return ((process.TotalProcessorTime - cpu0).TotalSeconds, wall);
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
