using BenchmarkDotNet.Attributes;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// The launches that cover several tensors at once on the CPU accelerator (one pinned table of the tensors, walked in
/// one share per worker): the fused SGD and AdamW steps, the non-finite scan of all parameters and the gradient pairs'
/// sums, over the parameters of the CLI's mlp net (784-256-10 with BatchNorm: 6 tensors, 204,042 floats). Each call
/// includes the synchronize, so the time is the whole launch.
/// </summary>
public class HostTableBenchmarks
{
    /// <summary>The mlp net's parameter shapes: fc1 weight and bias, BatchNorm γ and β, fc2 weight and bias.</summary>
    private static readonly int[] Lengths = [256 * 784, 256, 256, 256, 10 * 256, 10];

    private Device device = null!;
    private readonly List<Tensor> owned = [];
    private List<(Tensor Parameter, Tensor Gradient, Tensor? MomentumBuffer)> sgd = [];
    private List<(int Slot, Tensor Parameter, Tensor Gradient, Tensor ExpAvg, Tensor ExpAvgSq)> adamW = [];
    private List<Tensor> parameters = [];
    private (Tensor Target, Tensor Source, bool Replace, int Slices)[] pairs = [];
    private Tensor counts = null!, stepCount = null!, flags = null!;

    [GlobalSetup]
    public void Setup()
    {
        device = Device.Create();
        Console.WriteLine($"// device: {device} (grid {device.Launch.MaxGroups} groups x {device.Launch.GroupSize} threads)");
        var random = new Random(1);
        Tensor Random(int n)
        {
            var data = new float[n];
            for (int i = 0; i < n; i++) data[i] = (random.NextSingle() - 0.5f) * 0.1f;
            var t = Tensor.FromArray(device, data, n);
            owned.Add(t);
            return t;
        }
        Tensor Zeros(int n)
        {
            var t = Tensor.Zeros(device, n);
            owned.Add(t);
            return t;
        }
        for (int j = 0; j < Lengths.Length; j++)
        {
            int n = Lengths[j];
            var p = Random(n);
            var g = Random(n);
            parameters.Add(p);
            sgd.Add((p, g, Zeros(n)));
            adamW.Add((j, p, g, Zeros(n), Zeros(n)));
        }
        pairs = [.. Lengths.Select((n, j) => (sgd[j].Gradient, Random(n * 2), false, 2))];
        counts = Zeros(Lengths.Length);
        stepCount = Zeros(1);
        flags = Zeros(1);
        SgdStep();
        AdamWStep();
        MarkAll();
        AddPairs();
    }

    [Benchmark(Description = "SGD step (momentum), 6 tensors, 1 launch")]
    public void SgdStep()
    {
        Ops.TrySgdStepFused(sgd, null, stepCount, 1e-3f, 0.9f, nesterov: false, weightDecay: 1e-4f);
        device.Synchronize();
    }

    [Benchmark(Description = "AdamW step, 6 tensors, 1 launch")]
    public void AdamWStep()
    {
        Ops.TryAdamWStepFused(adamW, counts, null, stepCount, 1e-3f, 1f - 1e-5f, 0.9f, 0.999f, 1e-8f);
        device.Synchronize();
    }

    [Benchmark(Description = "non-finite scan, 6 tensors, 1 launch")]
    public void MarkAll()
    {
        Ops.MarkNonFinite(parameters, flags, 0);
        device.Synchronize();
    }

    [Benchmark(Description = "gradient pairs y += x0 + x1, 6 pairs, 1 launch")]
    public void AddPairs()
    {
        Ops.SumInto(pairs);
        device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in owned) t.Dispose();
        device.Dispose();
    }
}
