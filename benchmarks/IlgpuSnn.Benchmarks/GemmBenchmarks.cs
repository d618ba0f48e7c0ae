using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// C = A·B for square N×N float32 matrices: the library's GEMM on the chosen device (launch and synchronize included)
/// against a plain single-threaded C# ikj loop over float[] (the baseline, run in the same process).
/// FLOP/s = 2·N³ / time. On a GPU (N = 4096) run only the device GEMM: <c>--filter '*GemmBenchmarks.DeviceGemm*'</c>.
/// </summary>
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    private Device device = null!;
    private Tensor a = null!;
    private Tensor b = null!;
    private Tensor c = null!;
    private float[] hostA = [];
    private float[] hostB = [];
    private float[] hostC = [];

    /// <summary>Matrix size: 512 on the CPU, 4096 on a GPU.</summary>
    [ParamsSource(nameof(Sizes))]
    public int N { get; set; }

    /// <summary>Matrix sizes for the device class.</summary>
    public static IEnumerable<int> Sizes => [BenchmarkSizes.Pick(512, 4096)];

    [GlobalSetup]
    public void Setup()
    {
        device = Device.Create();
        Console.WriteLine($"// device: {device}, GEMM variant: {(device.Launch.UseTiledGemm ? "tiled" : "blocked")}");
        var random = new Random(1);
        hostA = Enumerable.Range(0, N * N).Select(_ => random.NextSingle()).ToArray();
        hostB = Enumerable.Range(0, N * N).Select(_ => random.NextSingle()).ToArray();
        hostC = new float[N * N];
        a = Tensor.FromArray(device, hostA, N, N);
        b = Tensor.FromArray(device, hostB, N, N);
        c = Tensor.Zeros(device, N, N);
        DeviceGemm();
    }

    [Benchmark(Baseline = true, Description = "plain C# ikj loop")]
    public void PlainLoop()
    {
        int n = N;
        Array.Clear(hostC);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                float aik = hostA[i * n + k];
                for (int j = 0; j < n; j++) hostC[i * n + j] += aik * hostB[k * n + j];
            }
    }

    [Benchmark(Description = "Gemm.Run + Synchronize")]
    public void DeviceGemm()
    {
        Gemm.Run(device, a.View, b.View, c.View, N, N, N, transA: false, transB: false);
        device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        a.Dispose();
        b.Dispose();
        c.Dispose();
        device.Dispose();
    }

    private sealed class GemmConfig : ManualConfig
    {
        public GemmConfig() => AddColumn(new ThroughputColumn("TFLOP/s", c => 2.0 * Math.Pow(ThroughputColumn.Param(c, nameof(N)), 3), 1e12));
    }
}
