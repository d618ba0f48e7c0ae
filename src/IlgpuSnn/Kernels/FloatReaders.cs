using ILGPU;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Read access to floats, so that one generic function serves a portable kernel (<see cref="ViewReader"/>, every
/// backend) and its host-pointer form on the CPU accelerator (<see cref="PointerReader"/>): ILGPU and the .NET JIT both
/// compile one copy per reader struct with the indexer inlined, so neither form pays for the abstraction.
/// </summary>
internal interface IFloatReader
{
    /// <summary>The float at index <paramref name="i"/>.</summary>
    /// <param name="i">The index from the first float.</param>
    float this[long i] { get; }
}

/// <summary>Floats read through an ILGPU view (portable kernels).</summary>
/// <param name="view">The view read.</param>
internal readonly struct ViewReader(ArrayView<float> view) : IFloatReader
{
    /// <inheritdoc/>
    public float this[long i] => view[i];
}

/// <summary>Floats read through a host pointer (CPU accelerator kernels only; GPUs never see it).</summary>
/// <param name="address">The host address of the first float.</param>
internal readonly unsafe struct PointerReader(long address) : IFloatReader
{
    /// <inheritdoc/>
    public float this[long i] => ((float*)address)[i];
}
