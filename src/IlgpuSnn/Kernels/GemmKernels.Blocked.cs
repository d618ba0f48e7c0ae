using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>GEMM kernels: a barrier-free register-blocked variant for the CPU and a shared-memory tiled one for GPUs.</summary>
internal static partial class GemmKernels
{
    /// <summary>
    /// GEMM for the CPU accelerator, C = alpha * op(A) op(B) + beta * C: each of the grid's threads computes one
    /// rectangle of C with the packed, register-blocked SIMD routine <see cref="HostGemm.Compute"/>. The rectangles
    /// split the columns in whole 16-wide strips when there are at least as many strips as threads, else the rows in
    /// whole 6-row strips, so every thread gets an equal share and no two write the same element. It reads the
    /// buffers through host pointers, so it runs on the CPU accelerator only. C is not read when beta is 0.
    /// </summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run TiledKernel.")]
    internal static unsafe void BlockedKernel(long aAddress, long bAddress, long cAddress,
        int m, int n, int k, int transA, int transB, float alpha, float beta)
    {
        int threads = (int)GridStride.Threads;
        int t = (int)GridStride.Thread;
        int colStrips = (n + HostGemm.NR - 1) / HostGemm.NR;
        int rowStrips = (m + HostGemm.MR - 1) / HostGemm.MR;
        int i0 = 0, i1 = m, j0 = 0, j1 = n;
        if (colStrips >= threads || rowStrips < colStrips)
        {
            int per = (colStrips + threads - 1) / threads;
            j0 = Math.Min(n, t * per * HostGemm.NR);
            j1 = Math.Min(n, (t + 1) * per * HostGemm.NR);
        }
        else
        {
            int per = (rowStrips + threads - 1) / threads;
            i0 = Math.Min(m, t * per * HostGemm.MR);
            i1 = Math.Min(m, (t + 1) * per * HostGemm.MR);
        }
        HostGemm.Compute((float*)aAddress, (float*)bAddress, (float*)cAddress, m, n, k, transA != 0, transB != 0,
            alpha, beta, i0, i1, j0, j1);
    }
}
