namespace IlgpuSnn.Runtime;

/// <summary>A device the driver reported but ILGPU cannot run on, with the reason (shown by `snn info` and in device errors).</summary>
/// <param name="Kind">"cuda" or "opencl".</param>
/// <param name="Name">The driver's name for the device, with its platform and version.</param>
/// <param name="Reason">Why it is refused, e.g. the missing OpenCL capability.</param>
public sealed record RefusedDevice(string Kind, string Name, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Name}: {Reason}";
}
