namespace IlgpuSnn.Runtime;

/// <summary>
/// Marks a static method as a device kernel. Only marked methods can be loaded (see <see cref="KernelCache"/>),
/// so <see cref="KernelRegistry"/> enumerates every kernel the library can run, for the cross-backend compile check.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
internal sealed class KernelAttribute : Attribute
{
    /// <summary>
    /// Backends the kernel cannot support by design ("cuda", "opencl"); empty when it runs everywhere.
    /// </summary>
    public string[] UnsupportedBackends { get; init; } = [];

    /// <summary>Why the kernel cannot support <see cref="UnsupportedBackends"/>.</summary>
    public string? Reason { get; init; }
}
