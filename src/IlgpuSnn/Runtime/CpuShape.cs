using ILGPU.Runtime.CPU;

namespace IlgpuSnn.Runtime;

/// <summary>
/// The shape of the simulated CPU accelerator. ILGPU starts one OS thread per simulated thread of a multiprocessor and
/// wakes all of them at every launch, whatever the grid; its default shape (4 warps of 4 threads) meant 16 threads on
/// every launch. One multiprocessor with one warp of one thread per core gives exactly as many workers as cores.
/// </summary>
internal static class CpuShape
{
    /// <summary>One multiprocessor, one warp of max(2, cores) threads (ILGPU requires a warp of at least 2).</summary>
    public static CPUDevice FittedToCores() =>
        new(numThreadsPerWarp: Math.Max(2, Environment.ProcessorCount), numWarpsPerMultiprocessor: 1, numMultiprocessors: 1);
}
