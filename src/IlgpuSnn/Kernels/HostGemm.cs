using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPU.Frontend;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The body of the CPU accelerator's GEMM kernel (<see cref="GemmKernels.BlockedKernel"/>): a packed, cache-blocked
/// SGEMM with a 6x16 register block of 256-bit vectors (12 accumulators, FMA where the CPU has it). Each worker thread
/// computes one rectangle of C; for each block of NC columns and KC inner indices it packs op(B) into 16-wide strips
/// (zero-padded at the edge), then for each block of MC rows packs op(A) into 6-tall strips, and runs the micro-kernel
/// over every 6x16 tile. Packing absorbs the transposes and the edges, so the micro-kernel has one branch-free form.
/// Spike inputs: after packing, each 16-wide strip of B lists its non-zero rows; a strip with fewer than
/// <see cref="SparseBelow"/> of them non-zero runs the micro-kernel over the listed rows only. The result is the dense
/// one (the skipped products are exact zeros) except that a NaN or infinity of A meeting only zeros of B is not spread.
/// Marked <see cref="ExternalAttribute"/>: ILGPU's frontend treats it as opaque (it cannot translate hardware
/// intrinsics), the CPU accelerator calls it as ordinary .NET code from inside the kernel. Never reached on GPUs.
/// </summary>
internal static unsafe class HostGemm
{
    /// <summary>Rows of the register block.</summary>
    internal const int MR = 6;

    /// <summary>Columns of the register block (two 256-bit vectors).</summary>
    internal const int NR = 16;

    /// <summary>Inner-dimension block: a 6xKC strip of A and a KCx16 strip of B stay in L1.</summary>
    internal const int KC = 256;

    /// <summary>Row block: the packed MCxKC block of A stays in L2.</summary>
    internal const int MC = 96;

    /// <summary>Column block: the packed KCxNC panel of B.</summary>
    internal const int NC = 1024;

    /// <summary>
    /// A 16-wide strip of packed B whose share of non-zero rows is below this runs the sparse micro-kernel, which visits
    /// only those rows (spike inputs: a zero row contributes exactly nothing). Measured crossover on the 2-core CPU
    /// (benchmarks/RESULTS.md); benchmarks set it to 0 (always dense) or above 1 (always sparse) to find the crossover.
    /// </summary>
    internal static float SparseBelow { get; set; } = 0.9f;

    [ThreadStatic] private static float[]? packedA;
    [ThreadStatic] private static float[]? packedB;
    [ThreadStatic] private static int[]? nonZeroRows;

    /// <summary>
    /// Computes rows [i0, i1) and columns [j0, j1) of C[m,n] = alpha * op(A) op(B) + beta * C (row-major; A stored
    /// [k,m] when transA, B stored [n,k] when transB). C is not read when beta is 0.
    /// </summary>
    [External("ilgpusnn_host_gemm")]
    internal static void Compute(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB,
        float alpha, float beta, int i0, int i1, int j0, int j1)
    {
        if (i0 >= i1 || j0 >= j1) return;
        packedA ??= GC.AllocateUninitializedArray<float>(MC * KC, pinned: true);
        packedB ??= GC.AllocateUninitializedArray<float>(KC * NC, pinned: true);
        nonZeroRows ??= GC.AllocateUninitializedArray<int>(KC * NC / NR + NC / NR, pinned: true);
        float* tile = stackalloc float[MR * NR];
        fixed (float* pa = packedA, pb = packedB)
        fixed (int* rows = nonZeroRows)
        {
            for (int jc = j0; jc < j1; jc += NC)
            {
                int nc = Math.Min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    float betaHere = pc == 0 ? beta : 1f;
                    PackB(b, pb, n, k, transB, pc, kc, jc, nc);
                    int* counts = rows + KC * NC / NR;
                    IndexNonZeroRows(pb, kc, nc, rows, counts);
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        PackA(a, pa, m, k, transA, pc, kc, ic, mc);
                        for (int jr = 0; jr < nc; jr += NR)
                        {
                            int nr = Math.Min(NR, nc - jr);
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mr = Math.Min(MR, mc - ir);
                                float* cTile = c + (long)(ic + ir) * n + jc + jr;
                                int strip = jr / NR;
                                if (counts[strip] < SparseBelow * kc)
                                    MicroKernel<SparseRows>(counts[strip], rows + strip * KC, pa + ir * kc, pb + jr * kc, cTile, n, alpha, betaHere, mr, nr, tile);
                                else
                                    MicroKernel<DenseRows>(kc, null, pa + ir * kc, pb + jr * kc, cTile, n, alpha, betaHere, mr, nr, tile);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] into MR-tall strips: strip s holds element (r, p) at s*MR*kc + p*MR + r.</summary>
    private static void PackA(float* a, float* dst, int m, int k, bool transA, int pc, int kc, int ic, int mc)
    {
        for (int s = 0; s < mc; s += MR)
        {
            int rows = Math.Min(MR, mc - s);
            float* d = dst + s * kc;
            if (transA)
            {
                // A stored [k, m]: the MR rows of one inner index are contiguous.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(pc + p) * m + ic + s;
                    int r = 0;
                    for (; r < rows; r++) d[p * MR + r] = src[r];
                    for (; r < MR; r++) d[p * MR + r] = 0f;
                }
            }
            else
            {
                for (int r = 0; r < MR; r++)
                {
                    if (r < rows)
                    {
                        float* src = a + (long)(ic + s + r) * k + pc;
                        for (int p = 0; p < kc; p++) d[p * MR + r] = src[p];
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++) d[p * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] into NR-wide strips: strip s holds element (p, j) at s*kc + p*NR + j.</summary>
    private static void PackB(float* b, float* dst, int n, int k, bool transB, int pc, int kc, int jc, int nc)
    {
        for (int s = 0; s < nc; s += NR)
        {
            int cols = Math.Min(NR, nc - s);
            float* d = dst + s * kc;
            if (transB)
            {
                // B stored [n, k]: each column of op(B) is a contiguous run over the inner index.
                for (int j = 0; j < NR; j++)
                {
                    if (j < cols)
                    {
                        float* src = b + (long)(jc + s + j) * k + pc;
                        for (int p = 0; p < kc; p++) d[p * NR + j] = src[p];
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++) d[p * NR + j] = 0f;
                    }
                }
            }
            else if (cols == NR)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(pc + p) * n + jc + s;
                    Vector256.Store(Vector256.Load(src), d + p * NR);
                    Vector256.Store(Vector256.Load(src + 8), d + p * NR + 8);
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(pc + p) * n + jc + s;
                    int j = 0;
                    for (; j < cols; j++) d[p * NR + j] = src[j];
                    for (; j < NR; j++) d[p * NR + j] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Lists, for each 16-wide strip of packed B, the rows p that hold a non-zero bit pattern (rows[strip*KC + i]) and
    /// their count (counts[strip]). Rows of +0 (and -0) are left out: their products add nothing to C.
    /// </summary>
    private static void IndexNonZeroRows(float* packed, int kc, int nc, int* rows, int* counts)
    {
        for (int s = 0; s < nc; s += NR)
        {
            float* d = packed + s * kc;
            int* list = rows + s / NR * KC;
            int count = 0;
            for (int p = 0; p < kc; p++)
            {
                var bits = (Vector256.Load(d + p * NR) | Vector256.Load(d + p * NR + 8)).AsUInt32() & Vector256.Create(0x7FFFFFFFu);
                list[count] = p;
                count += bits == Vector256<uint>.Zero ? 0 : 1;
            }
            counts[s / NR] = count;
        }
    }

    /// <summary>Which rows of a strip the micro-kernel visits: all of them, or those of a non-zero row list.</summary>
    private interface IRows
    {
        static abstract int Row(int* rows, int i);
    }

    private readonly struct DenseRows : IRows
    {
        public static int Row(int* rows, int i) => i;
    }

    private readonly struct SparseRows : IRows
    {
        public static int Row(int* rows, int i) => rows[i];
    }

    /// <summary>
    /// One 6x16 tile: acc = sum over the visited rows p (all kc, or the <paramref name="count"/> listed non-zero ones)
    /// of A-strip column p x B-strip row p, then C = alpha*acc + beta*C for the valid mr x nr part (C not read when
    /// beta is 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel<TRows>(int count, int* rows, float* aStrip, float* bStrip, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
        where TRows : struct, IRows
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int i = 0; i < count; i++)
        {
            int p = TRows.Row(rows, i);
            float* a = aStrip + p * MR;
            float* b = bStrip + p * NR;
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var ai = Vector256.Create(a[0]);
            c00 = Madd(ai, b0, c00); c01 = Madd(ai, b1, c01);
            ai = Vector256.Create(a[1]);
            c10 = Madd(ai, b0, c10); c11 = Madd(ai, b1, c11);
            ai = Vector256.Create(a[2]);
            c20 = Madd(ai, b0, c20); c21 = Madd(ai, b1, c21);
            ai = Vector256.Create(a[3]);
            c30 = Madd(ai, b0, c30); c31 = Madd(ai, b1, c31);
            ai = Vector256.Create(a[4]);
            c40 = Madd(ai, b0, c40); c41 = Madd(ai, b1, c41);
            ai = Vector256.Create(a[5]);
            c50 = Madd(ai, b0, c50); c51 = Madd(ai, b1, c51);
        }
        if (mr == MR && nr == NR)
        {
            Update(c, alpha, beta, c00, c01);
            Update(c + ldc, alpha, beta, c10, c11);
            Update(c + 2L * ldc, alpha, beta, c20, c21);
            Update(c + 3L * ldc, alpha, beta, c30, c31);
            Update(c + 4L * ldc, alpha, beta, c40, c41);
            Update(c + 5L * ldc, alpha, beta, c50, c51);
            return;
        }
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
        for (int r = 0; r < mr; r++)
        {
            float* row = c + (long)r * ldc;
            for (int j = 0; j < nr; j++)
                row[j] = beta == 0f ? alpha * tile[r * NR + j] : alpha * tile[r * NR + j] + beta * row[j];
        }
    }

    /// <summary>Writes 16 values of one row of C: alpha*acc + beta*C, C not read when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* c, float alpha, float beta, Vector256<float> lo, Vector256<float> hi)
    {
        var al = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Vector256.Store(lo * al, c);
            Vector256.Store(hi * al, c + 8);
        }
        else
        {
            var be = Vector256.Create(beta);
            Vector256.Store(Madd(lo, al, Vector256.Load(c) * be), c);
            Vector256.Store(Madd(hi, al, Vector256.Load(c + 8) * be), c + 8);
        }
    }

    /// <summary>a*b + c, fused where the CPU has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Madd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
}
