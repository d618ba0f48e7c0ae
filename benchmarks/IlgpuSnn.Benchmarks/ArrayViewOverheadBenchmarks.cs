using BenchmarkDotNet.Attributes;
using ILGPU;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// Diagnostic for the CPU accelerator: the same y = alpha * x + beta * y loop run on the calling thread, once over
/// float[] and once over ILGPU <see cref="ArrayView{T}"/>s of CPU-accelerator memory (no kernel, no launch). The gap
/// between the two is the cost of ArrayView indexing, which every ILGPU kernel pays on the CPU accelerator; the gap
/// between this and <see cref="ElementwiseBenchmarks"/> is the launch and threading overhead. Always uses "cpu".
/// </summary>
public class ArrayViewOverheadBenchmarks
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
        device = Device.Create("cpu");
        hostX = new float[N];
        hostY = new float[N];
        for (int i = 0; i < N; i++)
        {
            hostX[i] = i % 7;
            hostY[i] = i % 5;
        }

        x = Tensor.FromArray(device, hostX, N);
        y = Tensor.FromArray(device, hostY, N);
    }

    [Benchmark(Baseline = true, Description = "loop over float[]")]
    public void ArrayLoop()
    {
        float[] a = hostX, b = hostY;
        for (int i = 0; i < b.Length; i++) b[i] = Alpha * a[i] + Beta * b[i];
    }

    [Benchmark(Description = "loop over ArrayView<float> (host thread, no kernel)")]
    public void ArrayViewLoop()
    {
        ArrayView<float> a = x.View, b = y.View;
        for (long i = 0; i < b.Length; i++) b[i] = Alpha * a[i] + Beta * b[i];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        y.Dispose();
        device.Dispose();
    }
}
