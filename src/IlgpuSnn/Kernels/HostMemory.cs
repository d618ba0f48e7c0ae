using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>Host addresses of CPU-accelerator buffers, for the CPU-only kernels that read them through pointers.</summary>
internal static class HostMemory
{
    /// <summary>The address of a view's first element as a kernel argument (0 for an empty view).</summary>
    public static long Address(ArrayView<float> view) => view.Length == 0 ? 0L : view.LoadEffectiveAddressAsPtr().ToInt64();

    /// <summary>
    /// The address of a pinned array's first element as a kernel argument (tables and counters a host kernel reads; the
    /// launch may only be recorded, so the caller keeps the array alive with <see cref="Runtime.KernelCache.KeepAlive"/>).
    /// </summary>
    public static unsafe long Address<T>(T[] pinned) where T : unmanaged =>
        (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    /// <summary>
    /// Inside a host kernel: counts this worker as finished on the pinned int at <paramref name="counter"/> (zero before
    /// the launch); true for exactly one worker, the last, when every other worker has finished its share.
    /// </summary>
    public static unsafe bool LastToFinish(long counter) => Interlocked.Increment(ref *(int*)counter) == GridStride.Threads;
}
