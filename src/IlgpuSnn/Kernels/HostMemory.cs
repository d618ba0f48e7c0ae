using ILGPU;
using ILGPU.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>Host addresses of CPU-accelerator buffers, for the CPU-only kernels that read them through pointers.</summary>
internal static class HostMemory
{
    /// <summary>The address of a view's first element as a kernel argument (0 for an empty view).</summary>
    public static long Address(ArrayView<float> view) => view.Length == 0 ? 0L : view.LoadEffectiveAddressAsPtr().ToInt64();
}
