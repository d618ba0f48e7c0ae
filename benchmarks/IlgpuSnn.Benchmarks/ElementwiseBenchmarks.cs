using BenchmarkDotNet.Attributes;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// y = alpha * x + beta * y over 1M floats: the library's element-wise kernel on the chosen device (including the
/// synchronize, so the time is the whole launch) against a plain single-threaded C# loop over float[] (the baseline).
/// Target: the device version within 3x of the plain loop on the CPU accelerator.
/// </summary>
public class ElementwiseBenchmarks
{
    private const float Alpha = 0.5f;
    private const float Beta = 0.5f;

    private Device device = null!;
    private Tensor x = null!;
    private Tensor y = null!;
    private float[] hostX = [];
    private float[] hostY = [];

    /// <summary>Number of elements.</summary>
    [Params(1 << 20)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        device = Device.Create();
        Console.WriteLine($"// device: {device} (grid {device.Launch.MaxGroups} groups x {device.Launch.GroupSize} threads)");
        hostX = new float[N];
        hostY = new float[N];
        var random = new Random(1);
        for (int i = 0; i < N; i++)
        {
            hostX[i] = random.NextSingle();
            hostY[i] = random.NextSingle();
        }

        x = Tensor.FromArray(device, hostX, N);
        y = Tensor.FromArray(device, hostY, N);
        DeviceAxpby(); // load the kernel outside the measurement
    }

    [Benchmark(Baseline = true, Description = "plain C# loop")]
    public void PlainLoop()
    {
        float[] a = hostX, b = hostY;
        for (int i = 0; i < b.Length; i++) b[i] = Alpha * a[i] + Beta * b[i];
    }

    [Benchmark(Description = "Elementwise.Axpby + Synchronize")]
    public void DeviceAxpby()
    {
        Elementwise.Axpby(device, Alpha, x.View, Beta, y.View);
        device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        y.Dispose();
        device.Dispose();
    }
}
