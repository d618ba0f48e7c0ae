using ILGPU;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

internal static partial class GemmKernels
{
    /// <summary>Depth (k extent) of one shared-memory tile.</summary>
    internal const int TileK = 16;

    /// <summary>The largest thread-grid side of the tiled kernel (16 x 16 threads, 64 x 64 block tile).</summary>
    internal const int MaxTileThreads = 16;

    /// <summary>Leading dimension of a shared tile row: the widest block tile (64) plus one against bank conflicts.</summary>
    private const int TileLd = 4 * MaxTileThreads + 1;

    /// <summary>
    /// Shared-memory tiled GEMM for GPUs. A group of t x t threads (1-D, t = <paramref name="t"/>) computes a
    /// (4t) x (4t) block of C; each thread owns a 4 x 4 register micro-tile of rows ty + t*r and columns tx + t*c
    /// (strided, so shared-memory reads and global stores are consecutive across tx). The k dimension advances in
    /// slices of <see cref="TileK"/>: the group stages the A and B slices in shared memory (coalesced along whichever
    /// dimension is contiguous for the given transposition, zero-filled past the edges), synchronises, and
    /// accumulates. The grid is 1-D over all block tiles. C is not read when beta is 0.
    /// </summary>
    [Kernel]
    internal static void TiledKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c,
        int m, int n, int k, int transA, int transB, float alpha, float beta, int t)
    {
        var sa = SharedMemory.Allocate<float>(TileK * TileLd);
        var sb = SharedMemory.Allocate<float>(TileK * TileLd);
        long sAi = transA != 0 ? 1 : k;
        long sAk = transA != 0 ? m : 1;
        long sBk = transB != 0 ? 1 : n;
        long sBj = transB != 0 ? k : 1;
        int bs = 4 * t;
        int tilesN = (n + bs - 1) / bs;
        int tid = Group.IdxX;
        int threads = Group.DimX;
        int tx = tid % t;
        int ty = tid / t;
        int row0 = Grid.IdxX / tilesN * bs;
        int col0 = Grid.IdxX % tilesN * bs;
        int slice = bs * TileK;

        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;

        for (int k0 = 0; k0 < k; k0 += TileK)
        {
            for (int e = tid; e < slice; e += threads)
            {
                int r;
                int kk;
                if (transA != 0) { kk = e / bs; r = e - kk * bs; }
                else { r = e / TileK; kk = e - r * TileK; }
                int gi = row0 + r;
                int gk = k0 + kk;
                sa[kk * TileLd + r] = gi < m && gk < k ? a[gi * sAi + gk * sAk] : 0f;
            }
            for (int e = tid; e < slice; e += threads)
            {
                int col;
                int kk;
                if (transB != 0) { col = e / TileK; kk = e - col * TileK; }
                else { kk = e / bs; col = e - kk * bs; }
                int gj = col0 + col;
                int gk = k0 + kk;
                sb[kk * TileLd + col] = gj < n && gk < k ? b[gk * sBk + gj * sBj] : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int off = kk * TileLd;
                float a0 = sa[off + ty], a1 = sa[off + ty + t], a2 = sa[off + ty + 2 * t], a3 = sa[off + ty + 3 * t];
                float b0 = sb[off + tx], b1 = sb[off + tx + t], b2 = sb[off + tx + 2 * t], b3 = sb[off + tx + 3 * t];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int i = row0 + ty;
        int j = col0 + tx;
        if (i < m) StoreStrided(c, (long)i * n, j, t, n, alpha, beta, c00, c01, c02, c03);
        if (i + t < m) StoreStrided(c, (long)(i + t) * n, j, t, n, alpha, beta, c10, c11, c12, c13);
        if (i + 2 * t < m) StoreStrided(c, (long)(i + 2 * t) * n, j, t, n, alpha, beta, c20, c21, c22, c23);
        if (i + 3 * t < m) StoreStrided(c, (long)(i + 3 * t) * n, j, t, n, alpha, beta, c30, c31, c32, c33);
    }

    /// <summary>Writes the values for columns j, j+t, j+2t, j+3t of one row of C (those with column &lt; n).</summary>
    private static void StoreStrided(ArrayView<float> c, long rowStart, int j, int t, int n, float alpha, float beta,
        float v0, float v1, float v2, float v3)
    {
        if (j < n) Store(c, rowStart + j, alpha, beta, v0);
        if (j + t < n) Store(c, rowStart + j + t, alpha, beta, v1);
        if (j + 2 * t < n) Store(c, rowStart + j + 2 * t, alpha, beta, v2);
        if (j + 3 * t < n) Store(c, rowStart + j + 3 * t, alpha, beta, v3);
    }

    /// <summary>c[i] = alpha * v + beta * c[i], without reading c when beta is 0 (it may hold garbage).</summary>
    private static void Store(ArrayView<float> c, long i, float alpha, float beta, float v)
    {
        if (beta == 0f) c[i] = alpha * v;
        else c[i] = alpha * v + beta * c[i];
    }
}
