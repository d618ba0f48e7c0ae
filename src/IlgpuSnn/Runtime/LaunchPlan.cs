using ILGPU;
using ILGPU.Runtime;

namespace IlgpuSnn.Runtime;

/// <summary>
/// The one place that chooses launch grids. Element-wise and reduction kernels are grid-stride loops; on the CPU
/// accelerator a tiny grid (one group of one warp per core) runs near plain C# speed, on GPUs enough groups to fill
/// every multiprocessor. The plan also chooses the GEMM variant.
/// </summary>
internal sealed class LaunchPlan
{
    internal LaunchPlan(Accelerator accelerator)
    {
        IsCpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        UseHostKernels = IsCpu;
        if (IsCpu)
        {
            GroupSize = accelerator.WarpSize;
            MaxGroups = Math.Max(1, accelerator.NumMultiprocessors);
        }
        else
        {
            GroupSize = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
            int perSm = Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / GroupSize);
            MaxGroups = Math.Max(1, accelerator.NumMultiprocessors * perSm * 4);
        }
    }

    /// <summary>True on the CPU accelerator, where barrier-free kernels are preferred.</summary>
    public bool IsCpu { get; }

    /// <summary>Threads per group for grid-stride kernels.</summary>
    public int GroupSize { get; }

    /// <summary>The largest grid used for a grid-stride kernel.</summary>
    public int MaxGroups { get; }

    /// <summary>
    /// Whether element-wise work uses the host-pointer kernels (CPU accelerator only): ILGPU's view indexer costs about
    /// 9x a plain array access on the CPU, the host kernels read the same memory through pointers. Tests switch it off
    /// to run the portable kernels on the CPU too.
    /// </summary>
    public bool UseHostKernels { get; internal set; }

    /// <summary>
    /// The convolution's column matrix per batch chunk, in floats, where it is materialised (the portable im2col path):
    /// on GPUs 32 MB, few large GEMMs; on the CPU 4 MB, so that im2col's output is still in the caches when the GEMM
    /// packs it — used there only with the host kernels switched off, since the CPU's convolution forward and both
    /// gradients are implicit GEMMs without a column matrix.
    /// </summary>
    public long ConvColumnFloats => IsCpu ? 1L << 20 : 8L << 20;

    /// <summary>Whether GEMMs use the shared-memory tiled kernel (GPUs) or the barrier-free one (CPU).</summary>
    public bool UseTiledGemm => !IsCpu;

    /// <summary>The grid for a grid-stride loop over <paramref name="work"/> independent items.</summary>
    public KernelConfig GridStride(long work)
    {
        long groups = (Math.Max(work, 1) + GroupSize - 1) / GroupSize;
        return new KernelConfig((int)Math.Min(groups, MaxGroups), GroupSize);
    }
}
