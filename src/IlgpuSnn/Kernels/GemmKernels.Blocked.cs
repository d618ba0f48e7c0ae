using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>GEMM kernels: a barrier-free register-blocked variant for the CPU and a shared-memory tiled one for GPUs.</summary>
internal static partial class GemmKernels
{
    /// <summary>
    /// GEMM for the CPU accelerator, C = alpha * op(A) op(B) + beta * C: each of the grid's threads computes one
    /// rectangle of C with the packed, register-blocked SIMD routine <see cref="HostGemm.Compute"/>, which splits C
    /// in whole register-block strips so that no two threads write the same element. It reads the buffers through host
    /// pointers, so it runs on the CPU accelerator only. C is not read when beta is 0. <paramref name="wide"/> (1) picks the 512-bit register block.
    /// <paramref name="imageForm"/> (flags of <see cref="HostGemm"/>: WindowB, NchwC) reads op(B) from images through the
    /// convolution window of <paramref name="images"/> and writes C into NCHW planes (implicit-GEMM convolution), or
    /// runs the convolution's weight gradient or input gradient (WeightGradientForm, InputGradientForm).
    /// </summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run TiledKernel.")]
    internal static unsafe void BlockedKernel(long aAddress, long bAddress, long cAddress,
        int m, int n, int k, int transA, int transB, float alpha, float beta, int wide, HostIm2Col.ConvShape images, int imageForm)
    {
        HostGemm.Compute((float*)aAddress, (float*)bAddress, (float*)cAddress, m, n, k, transA != 0, transB != 0,
            alpha, beta, wide != 0, (int)GridStride.Thread, (int)GridStride.Threads, images, imageForm);
    }
}
