using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// Problem sizes per device class: the GPU sizes of the performance targets (e.g. SGEMM at 4096³) would take minutes
/// per invocation on the CPU accelerator, so the CPU gets smaller ones of the same shape.
/// </summary>
public static class BenchmarkSizes
{
    /// <summary>Whether the benchmarks run on a GPU: the device named by ILGPUSNN_DEVICE, or else the best present.</summary>
    public static bool OnGpu { get; } = DeviceKind() != "cpu";

    /// <summary><paramref name="gpu"/> on a GPU, <paramref name="cpu"/> on the CPU accelerator.</summary>
    public static T Pick<T>(T cpu, T gpu) => OnGpu ? gpu : cpu;

    private static string DeviceKind()
    {
        string? name = Environment.GetEnvironmentVariable(Device.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(name)) return name.Split(':')[0].Trim().ToLowerInvariant();
        return Device.ListAvailable().Select(d => d.Kind).FirstOrDefault(k => k != "cpu") ?? "cpu";
    }
}
