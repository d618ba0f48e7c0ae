namespace IlgpuSnn.Runtime;

/// <summary>Describes one device found on the machine.</summary>
/// <param name="Kind">"cuda", "opencl" or "cpu".</param>
/// <param name="Index">Index among the devices of the same kind.</param>
/// <param name="Name">The driver's name for the device.</param>
/// <param name="MemoryBytes">Device memory in bytes as reported by ILGPU.</param>
public sealed record DeviceInfo(string Kind, int Index, string Name, long MemoryBytes)
{
    /// <summary>The name that selects this device, e.g. "cuda:0".</summary>
    public string Id => $"{Kind}:{Index}";

    /// <summary>The API version the driver reports (e.g. "OpenCL 3.0 PoCL ..." or "sm_90, PTX ISA 8.8"); empty for the CPU.</summary>
    public string Version { get; init; } = "";

    /// <summary>What the device offers that matters to ILGPU's kernels (group size, address spaces, atomics, ...).</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <inheritdoc />
    public override string ToString() => $"{Id} {Name}";
}
