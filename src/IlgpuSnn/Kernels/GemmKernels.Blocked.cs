using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>GEMM kernels: a barrier-free register-blocked variant for the CPU and a shared-memory tiled one for GPUs.</summary>
internal static partial class GemmKernels
{
    /// <summary>Rows of C computed by one work item of <see cref="BlockedKernel"/>.</summary>
    internal const int BlockRows = 8;

    /// <summary>Columns of C computed by one work item of <see cref="BlockedKernel"/>.</summary>
    internal const int BlockCols = 8;

    /// <summary>
    /// Barrier-free GEMM for the CPU accelerator: each grid-stride work item computes an 8x8 block of
    /// C = alpha * op(A) op(B) + beta * C with 64 scalar accumulators and the k loop innermost over the block,
    /// so every A and B element loaded feeds eight multiply-adds (measured 8x8 beat 4x4, 4x8, 6x8 and 4x16). It reads
    /// the buffers through host pointers, since every ILGPU view access on the CPU carries range assertions (about 9x an
    /// array access), so it runs on the CPU accelerator only. Edge blocks clamp their loads to the last valid
    /// row/column (duplicated work) and skip the out-of-range stores, keeping one branch-free inner loop.
    /// C is not read when beta is 0.
    /// </summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run TiledKernel.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void BlockedKernel(long aAddress, long bAddress, long cAddress,
        int m, int n, int k, int transA, int transB, float alpha, float beta)
    {
        float* a = (float*)aAddress, b = (float*)bAddress, c = (float*)cAddress;
        long sAi = transA != 0 ? 1 : k;
        long sAk = transA != 0 ? m : 1;
        long sBk = transB != 0 ? 1 : n;
        long sBj = transB != 0 ? k : 1;
        long tilesN = (n + BlockCols - 1) / BlockCols;
        long total = (m + BlockRows - 1) / BlockRows * tilesN;
        long stride = (long)Grid.DimX * Group.DimX;
        for (long t = Grid.GlobalIndex.X; t < total; t += stride)
        {
            int i0 = (int)(t / tilesN) * BlockRows;
            int j0 = (int)(t % tilesN) * BlockCols;
            long pa0 = (i0 + 0 < m ? i0 + 0 : m - 1) * sAi;
            long pa1 = (i0 + 1 < m ? i0 + 1 : m - 1) * sAi;
            long pa2 = (i0 + 2 < m ? i0 + 2 : m - 1) * sAi;
            long pa3 = (i0 + 3 < m ? i0 + 3 : m - 1) * sAi;
            long pa4 = (i0 + 4 < m ? i0 + 4 : m - 1) * sAi;
            long pa5 = (i0 + 5 < m ? i0 + 5 : m - 1) * sAi;
            long pa6 = (i0 + 6 < m ? i0 + 6 : m - 1) * sAi;
            long pa7 = (i0 + 7 < m ? i0 + 7 : m - 1) * sAi;
            long pb0 = (j0 + 0 < n ? j0 + 0 : n - 1) * sBj;
            long pb1 = (j0 + 1 < n ? j0 + 1 : n - 1) * sBj;
            long pb2 = (j0 + 2 < n ? j0 + 2 : n - 1) * sBj;
            long pb3 = (j0 + 3 < n ? j0 + 3 : n - 1) * sBj;
            long pb4 = (j0 + 4 < n ? j0 + 4 : n - 1) * sBj;
            long pb5 = (j0 + 5 < n ? j0 + 5 : n - 1) * sBj;
            long pb6 = (j0 + 6 < n ? j0 + 6 : n - 1) * sBj;
            long pb7 = (j0 + 7 < n ? j0 + 7 : n - 1) * sBj;
            float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c04 = 0f, c05 = 0f, c06 = 0f, c07 = 0f;
            float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f, c14 = 0f, c15 = 0f, c16 = 0f, c17 = 0f;
            float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c24 = 0f, c25 = 0f, c26 = 0f, c27 = 0f;
            float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f, c34 = 0f, c35 = 0f, c36 = 0f, c37 = 0f;
            float c40 = 0f, c41 = 0f, c42 = 0f, c43 = 0f, c44 = 0f, c45 = 0f, c46 = 0f, c47 = 0f;
            float c50 = 0f, c51 = 0f, c52 = 0f, c53 = 0f, c54 = 0f, c55 = 0f, c56 = 0f, c57 = 0f;
            float c60 = 0f, c61 = 0f, c62 = 0f, c63 = 0f, c64 = 0f, c65 = 0f, c66 = 0f, c67 = 0f;
            float c70 = 0f, c71 = 0f, c72 = 0f, c73 = 0f, c74 = 0f, c75 = 0f, c76 = 0f, c77 = 0f;
            for (int kk = 0; kk < k; kk++)
            {
                float a0 = a[pa0], a1 = a[pa1], a2 = a[pa2], a3 = a[pa3], a4 = a[pa4], a5 = a[pa5], a6 = a[pa6], a7 = a[pa7];
                float b0 = b[pb0], b1 = b[pb1], b2 = b[pb2], b3 = b[pb3], b4 = b[pb4], b5 = b[pb5], b6 = b[pb6], b7 = b[pb7];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
                c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
                c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
                c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
                c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
                pa0 += sAk; pa1 += sAk; pa2 += sAk; pa3 += sAk; pa4 += sAk; pa5 += sAk; pa6 += sAk; pa7 += sAk;
                pb0 += sBk; pb1 += sBk; pb2 += sBk; pb3 += sBk; pb4 += sBk; pb5 += sBk; pb6 += sBk; pb7 += sBk;
            }
            HostStoreRow(c, (long)(i0 + 0) * n, j0 + 0, n, alpha, beta, c00, c01, c02, c03);
            HostStoreRow(c, (long)(i0 + 0) * n, j0 + 4, n, alpha, beta, c04, c05, c06, c07);
            if (i0 + 1 < m) HostStoreRow(c, (long)(i0 + 1) * n, j0 + 0, n, alpha, beta, c10, c11, c12, c13);
            if (i0 + 1 < m) HostStoreRow(c, (long)(i0 + 1) * n, j0 + 4, n, alpha, beta, c14, c15, c16, c17);
            if (i0 + 2 < m) HostStoreRow(c, (long)(i0 + 2) * n, j0 + 0, n, alpha, beta, c20, c21, c22, c23);
            if (i0 + 2 < m) HostStoreRow(c, (long)(i0 + 2) * n, j0 + 4, n, alpha, beta, c24, c25, c26, c27);
            if (i0 + 3 < m) HostStoreRow(c, (long)(i0 + 3) * n, j0 + 0, n, alpha, beta, c30, c31, c32, c33);
            if (i0 + 3 < m) HostStoreRow(c, (long)(i0 + 3) * n, j0 + 4, n, alpha, beta, c34, c35, c36, c37);
            if (i0 + 4 < m) HostStoreRow(c, (long)(i0 + 4) * n, j0 + 0, n, alpha, beta, c40, c41, c42, c43);
            if (i0 + 4 < m) HostStoreRow(c, (long)(i0 + 4) * n, j0 + 4, n, alpha, beta, c44, c45, c46, c47);
            if (i0 + 5 < m) HostStoreRow(c, (long)(i0 + 5) * n, j0 + 0, n, alpha, beta, c50, c51, c52, c53);
            if (i0 + 5 < m) HostStoreRow(c, (long)(i0 + 5) * n, j0 + 4, n, alpha, beta, c54, c55, c56, c57);
            if (i0 + 6 < m) HostStoreRow(c, (long)(i0 + 6) * n, j0 + 0, n, alpha, beta, c60, c61, c62, c63);
            if (i0 + 6 < m) HostStoreRow(c, (long)(i0 + 6) * n, j0 + 4, n, alpha, beta, c64, c65, c66, c67);
            if (i0 + 7 < m) HostStoreRow(c, (long)(i0 + 7) * n, j0 + 0, n, alpha, beta, c70, c71, c72, c73);
            if (i0 + 7 < m) HostStoreRow(c, (long)(i0 + 7) * n, j0 + 4, n, alpha, beta, c74, c75, c76, c77);
        }
    }

    /// <summary>Writes up to four consecutive values of one row of C (those with column &lt; n).</summary>
    private static unsafe void HostStoreRow(float* c, long rowStart, int j0, int n, float alpha, float beta,
        float v0, float v1, float v2, float v3)
    {
        if (j0 < n) HostStore(c, rowStart + j0, alpha, beta, v0);
        if (j0 + 1 < n) HostStore(c, rowStart + j0 + 1, alpha, beta, v1);
        if (j0 + 2 < n) HostStore(c, rowStart + j0 + 2, alpha, beta, v2);
        if (j0 + 3 < n) HostStore(c, rowStart + j0 + 3, alpha, beta, v3);
    }

    /// <summary>c[i] = alpha * v + beta * c[i], without reading c when beta is 0 (it may hold garbage).</summary>
    private static unsafe void HostStore(float* c, long i, float alpha, float beta, float v)
    {
        if (beta == 0f) c[i] = alpha * v;
        else c[i] = alpha * v + beta * c[i];
    }
}
