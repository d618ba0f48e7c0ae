using ILGPU;
using ILGPU.Runtime;

namespace IlgpuSnn.Runtime;

/// <summary>
/// One block of a <see cref="BufferPool"/> size class: <see cref="Floats"/> elements at an offset
/// into a device buffer (0 unless the pool aligned the block to a huge page).
/// </summary>
internal sealed class PoolBlock(MemoryBuffer1D<float, Stride1D.Dense> buffer, long offset, long floats)
{
    /// <summary>The block's size class, in floats.</summary>
    public long Floats { get; } = floats;

    /// <summary>The block's elements.</summary>
    public ArrayView<float> View { get; } = buffer.View.SubView(offset, floats);

    /// <summary>Frees the device buffer.</summary>
    public void Free() => buffer.Dispose();
}
