using IlgpuSnn.Runtime;

[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
[assembly: AssemblyFixture(typeof(IlgpuSnn.Tests.Support.TestDevice))]

namespace IlgpuSnn.Tests.Support;

/// <summary>
/// The device every test runs on: the CPU accelerator unless ILGPUSNN_DEVICE names another, so the same suite runs
/// unchanged on CUDA or OpenCL.
/// </summary>
public sealed class TestDevice : IDisposable
{
    public TestDevice()
    {
        Name = Environment.GetEnvironmentVariable(Device.EnvironmentVariable) is { Length: > 0 } n ? n : "cpu";
        Device = Device.Create(Name);
    }

    public string Name { get; }

    public Device Device { get; }

    /// <summary>True when the suite runs on a GPU (CUDA or OpenCL).</summary>
    public bool IsGpu => Device.Kind != "cpu";

    /// <summary>A fresh device of the same kind, with its own pool (for exact counter tests).</summary>
    public Device CreateFresh() => Device.Create(Name);

    public void Dispose() => Device.Dispose();
}
