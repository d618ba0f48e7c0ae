using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPU.Frontend;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The body of the CPU accelerator's GEMM kernel (<see cref="GemmKernels.BlockedKernel"/>): a packed, cache-blocked
/// SGEMM with a 12x32 register block of 512-bit vectors (24 accumulators) where the CPU has AVX-512, else 6x16 of
/// 256-bit vectors (12 accumulators, FMA where the CPU has it). Each worker thread computes one rectangle of C; for each
/// block of NC columns and KC inner indices it packs op(B) into NR-wide strips (zero-padded at the edge), then for each
/// block of MC rows packs op(A) into MR-tall strips, and runs the micro-kernel over every MRxNR tile. Packing absorbs the transposes and the edges, so the micro-kernel has one branch-free form.
/// Spike inputs: after packing, each strip of B lists its non-zero rows; a strip with fewer than
/// <see cref="SparseBelow"/> of them non-zero runs the micro-kernel over the listed rows only. The result is the dense
/// one (the skipped products are exact zeros) except that a NaN or infinity of A meeting only zeros of B is not spread.
/// Marked <see cref="ExternalAttribute"/>: ILGPU's frontend treats it as opaque (it cannot translate hardware
/// intrinsics), the CPU accelerator calls it as ordinary .NET code from inside the kernel. Never reached on GPUs.
/// </summary>
internal static unsafe partial class HostGemm
{
    /// <summary>
    /// Whether the CPU runs the 512-bit register block (AVX-512F with Vector512 accelerated, e.g. AMD Zen 4/5, Intel
    /// Xeon): 12x32 with 24 accumulators of 16 floats; else the 256-bit one, 6x16 with 12 accumulators of 8 floats.
    /// Tests and the throughput benchmark also run the 256-bit block on such a CPU (<see cref="Gemm.RunBlocked"/>).
    /// </summary>
    internal static bool Wide { get; } = Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Rows of the register block (wide: 512-bit), the tallest one.</summary>
    internal static int RowsOf(bool wide) => wide ? 12 : 6;

    /// <summary>
    /// Rows of the register block for a product with <paramref name="m"/> rows: with 512-bit vectors 8 (16 accumulators,
    /// still enough independent FMAs for two pipes of latency 4) where padding m to whole 8-row strips computes fewer
    /// rows than padding it to 12 and 12-row strips would pad more than 1/16 of m (m = 16, 32, 64: the per-step batch and
    /// the convolutions' channels, whose 12-row edge strip ran through the scalar edge store on every column strip), else
    /// 12 (m = 256: 3 % padding; measured no faster with 8 rows).
    /// </summary>
    internal static int RowsFor(bool wide, int m)
    {
        int padded8 = (m + 7) / 8 * 8, padded12 = (m + 11) / 12 * 12;
        return wide && padded8 < padded12 && (padded12 - m) * 16L > m ? 8 : RowsOf(wide);
    }

    /// <summary>Columns of the register block, two vectors (wide: 512-bit).</summary>
    internal static int ColumnsOf(bool wide) => wide ? 32 : 16;

    /// <summary>The widest register block's tile (12x32), for the edge buffer.</summary>
    private const int MaxTile = 12 * 32;

    /// <summary>The narrowest strip width, which sizes the non-zero row lists.</summary>
    private const int MinNR = 16;

    /// <summary>
    /// The longest inner-dimension block: an MRxKC strip of A and a KCxNR strip of B (40 KB) stay in L1. The blocks of
    /// one product are of equal length (<see cref="InnerBlock"/>).
    /// </summary>
    internal const int KC = 320;

    /// <summary>
    /// The inner-dimension block of a product: k in as few blocks of at most <see cref="KC"/> as possible, of equal
    /// length, so that no short last block reads and writes the whole of C again for a few products (k = 288, a 3x3
    /// convolution of 32 channels, is one block; 784 three of 262, not 256, 256, 256 and 16).
    /// </summary>
    internal static int InnerBlock(int k)
    {
        int blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / Math.Max(1, blocks);
    }

    /// <summary>Row block (a multiple of both MR): the packed MCxKC block of A stays in L2.</summary>
    internal const int MC = 96;

    /// <summary>Column block (a multiple of both NR): the packed KCxNC panel of B.</summary>
    internal const int NC = 1024;

    /// <summary>
    /// A strip of packed B whose share of non-zero rows is below this runs the sparse micro-kernel, which visits
    /// only those rows (spike inputs: a zero row contributes exactly nothing). Measured crossover on the 2-core CPU
    /// (benchmarks/RESULTS.md); benchmarks set it to 0 (always dense) or above 1 (always sparse) to find the crossover.
    /// </summary>
    internal static float SparseBelow { get; set; } = 0.9f;

    /// <summary>
    /// Whether a product whose two operands both run along the inner dimension (A [m,k], B stored [n,k]) with an inner
    /// dimension of at least <see cref="DotFormRatio"/> times m and n (the weight gradients of convolutions and linear
    /// layers) runs as blocked dot products instead (<see cref="DotRectangle"/>): packing would transpose both operands
    /// and pad a narrow C to whole register blocks. On by default where the 512-bit block runs; the throughput
    /// benchmark switches it off to compare.
    /// </summary>
    internal static bool DotForm { get; set; } = true;

    /// <summary>How many times m and n the inner dimension must be for the dot form.</summary>
    private const int DotFormRatio = 4;

    /// <summary>Rows of A and of B (as stored) that one call of the dot micro-kernel combines.</summary>
    private const int DotRows = 4, DotCols = 3;

    /// <summary>Inner-dimension block of the dot form: 4 + 3 rows of it stay in L1.</summary>
    private const int DotKC = 512;

    /// <summary>When set (diagnostics only), every worker's share of every GEMM reports to it.</summary>
    internal static GemmProfile? Profile { get; set; }

    [ThreadStatic] private static float[]? packedA;
    [ThreadStatic] private static float[]? packedB;
    [ThreadStatic] private static int[]? nonZeroRows;

    /// <summary>
    /// Computes worker <paramref name="thread"/>'s share (of <paramref name="threads"/>) of C[m,n] = alpha * op(A) op(B)
    /// + beta * C (row-major; A stored [k,m] when transA, B stored [n,k] when transB). The shares split the columns in
    /// whole NR-wide strips when there are at least as many strips as workers (or more column than row strips), else
    /// the rows in whole MR-row strips, so every worker gets an equal part and no two write the same element. C is not
    /// read when beta is 0.
    /// </summary>
    [External("ilgpusnn_host_gemm")]
    internal static void Compute(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB,
        float alpha, float beta, bool wide, int thread, int threads, HostIm2Col.ConvShape images, int imageForm)
    {
        var profile = Profile;
        double start = profile is null ? 0 : WorkerClock.Seconds();
        if (imageForm == WeightGradientForm)
        {
            WeightGradient(a, b, c, m, n, alpha, beta, thread, threads, images);
            profile?.Add("conv-weight-gradient", m, n, k, transA, transB, WorkerClock.Seconds() - start, 0, 0);
            return;
        }
        if (imageForm == InputGradientForm)
        {
            InputGradient(a, b, c, m, k, wide, thread, threads, images);
            profile?.Add("conv-input-gradient", m, n, k, transA, transB, WorkerClock.Seconds() - start, 0, 0);
            return;
        }
        if (imageForm == PlainForm && wide && DotForm && !transA && transB && k >= DotFormRatio * (long)Math.Max(m, n))
        {
            int rowGroups = (m + DotRows - 1) / DotRows, colGroups = (n + DotCols - 1) / DotCols;
            int d0 = 0, d1 = m, e0 = 0, e1 = n;
            if (rowGroups >= colGroups) (d0, d1) = GridStride.Share(m, DotRows, thread, threads);
            else (e0, e1) = GridStride.Share(n, DotCols, thread, threads);
            DotRectangle(a, b, c, n, k, alpha, beta, d0, d1, e0, e1);
            profile?.Add("dot", m, n, k, transA, transB, WorkerClock.Seconds() - start, 0, 0);
            return;
        }
        int mr = RowsFor(wide, m), nr = ColumnsOf(wide);
        int colStrips = (n + nr - 1) / nr, rowStrips = (m + mr - 1) / mr;
        int i0 = 0, i1 = m, j0 = 0, j1 = n;
        if (colStrips >= threads || rowStrips < colStrips) (j0, j1) = GridStride.Share(n, nr, thread, threads);
        else (i0, i1) = GridStride.Share(m, mr, thread, threads);
        var (nonZeroRows, rows) = Rectangle(a, b, c, m, n, k, transA, transB, alpha, beta, wide, mr, i0, i1, j0, j1, images, imageForm);
        profile?.Add((imageForm & WindowB) != 0 ? "conv-forward" : "packed", m, n, k, transA, transB, WorkerClock.Seconds() - start, nonZeroRows, rows);
    }

    /// <summary>
    /// Computes rows [i0, i1) and columns [j0, j1) of C (see <see cref="Compute"/>); returns how many rows of the
    /// packed op(B) strips held a non-zero, and how many rows they had. With <see cref="WindowB"/> in
    /// <paramref name="imageForm"/> op(B) is read from images through the convolution window of
    /// <paramref name="images"/>, with <see cref="NchwC"/> C is written into NCHW planes (see <see cref="PackWindow"/>).
    /// </summary>
    private static (long NonZeroRows, long Rows) Rectangle(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB,
        float alpha, float beta, bool wide, int MR, int i0, int i1, int j0, int j1, in HostIm2Col.ConvShape images, int imageForm)
    {
        if (i0 >= i1 || j0 >= j1) return (0, 0);
        int NR = ColumnsOf(wide);
        long nonZero = 0, allRows = 0;
        packedA ??= GC.AllocateUninitializedArray<float>(MC * KC, pinned: true);
        packedB ??= GC.AllocateUninitializedArray<float>(KC * NC + Slack, pinned: true);
        nonZeroRows ??= GC.AllocateUninitializedArray<int>(KC * NC / MinNR + NC / MinNR, pinned: true);
        float* tile = stackalloc float[MaxTile];
        float* scattered = stackalloc float[MaxTile];
        int spatial = images.OutH * images.OutW, kcBlock = InnerBlock(k);
        fixed (float* pa = packedA, pb = packedB)
        fixed (int* rows = nonZeroRows)
        {
            for (int jc = j0; jc < j1; jc += NC)
            {
                int nc = Math.Min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += kcBlock)
                {
                    int kc = Math.Min(kcBlock, k - pc);
                    float betaHere = pc == 0 ? beta : 1f;
                    if ((imageForm & WindowB) != 0) PackWindow(b, pb, images, pc, kc, jc, nc, NR);
                    else PackB(b, pb, n, k, transB, pc, kc, jc, nc, NR);
                    int* counts = rows + KC * NC / MinNR;
                    IndexNonZeroRows(pb, kc, nc, rows, counts, NR);
                    for (int strip = 0; strip < (nc + NR - 1) / NR; strip++) nonZero += counts[strip];
                    allRows += (long)kc * ((nc + NR - 1) / NR);
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        PackA(a, pa, m, k, transA, pc, kc, ic, mc, MR);
                        for (int jr = 0; jr < nc; jr += NR)
                        {
                            int nr = Math.Min(NR, nc - jr);
                            int strip = jr / NR;
                            bool sparse = counts[strip] < SparseBelow * kc;
                            int count = sparse ? counts[strip] : kc;
                            int* list = sparse ? rows + strip * KC : null;
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mr = Math.Min(MR, mc - ir);
                                float* aStrip = pa + ir * kc, bStrip = pb + jr * kc;
                                if ((imageForm & NchwC) == 0)
                                {
                                    Tile(wide, MR, sparse, count, list, aStrip, bStrip, c + (long)(ic + ir) * n + jc + jr, n, alpha, betaHere, mr, nr, tile);
                                    continue;
                                }
                                // C [m, images*spatial] lives as NCHW planes: a tile within one image is a block of
                                // rows of stride spatial; one that crosses images goes through a buffer.
                                int j = jc + jr, image = j / spatial, l = j - image * spatial;
                                if (l + nr <= spatial)
                                {
                                    Tile(wide, MR, sparse, count, list, aStrip, bStrip, c + ((long)image * m + ic + ir) * spatial + l, spatial, alpha, betaHere, mr, nr, tile);
                                    continue;
                                }
                                Tile(wide, MR, sparse, count, list, aStrip, bStrip, scattered, NR, 1f, 0f, MR, NR, tile);
                                ScatterNchw(scattered, NR, c, m, spatial, ic + ir, j, mr, nr, alpha, betaHere);
                            }
                        }
                    }
                }
            }
        }
        return (nonZero, allRows);
    }

    /// <summary>
    /// Runs the register block (<paramref name="wide"/>: <paramref name="MR"/> = 12 or 8 rows x 32, else 6x16) over one
    /// tile: all <paramref name="count"/> rows of the strips, or the <paramref name="count"/> listed in
    /// <paramref name="rows"/> when sparse.
    /// </summary>
    private static void Tile(bool wide, int MR, bool sparse, int count, int* rows, float* aStrip, float* bStrip, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
    {
        if (wide && MR == 8)
        {
            if (sparse) MicroKernelWide<SparseRows, EightRows>(count, rows, aStrip, bStrip, c, ldc, alpha, beta, mr, nr, tile);
            else MicroKernelWide<DenseRows, EightRows>(count, null, aStrip, bStrip, c, ldc, alpha, beta, mr, nr, tile);
        }
        else if (wide)
        {
            if (sparse) MicroKernelWide<SparseRows, TwelveRows>(count, rows, aStrip, bStrip, c, ldc, alpha, beta, mr, nr, tile);
            else MicroKernelWide<DenseRows, TwelveRows>(count, null, aStrip, bStrip, c, ldc, alpha, beta, mr, nr, tile);
        }
        else if (sparse) MicroKernel6x16<SparseRows>(count, rows, aStrip, bStrip, c, ldc, alpha, beta, mr, nr, tile);
        else MicroKernel6x16<DenseRows>(count, null, aStrip, bStrip, c, ldc, alpha, beta, mr, nr, tile);
    }

    /// <summary>
    /// The dot form of rows [i0, i1) and columns [j0, j1) of C = alpha * A B^T + beta * C, A [m,k] and B [n,k] both
    /// contiguous along k: per block of <see cref="DotKC"/> inner indices, every 4x3 group of C gets 12 dot products
    /// of 512-bit vectors added to it (the first block scales C by beta, the later ones add).
    /// </summary>
    private static void DotRectangle(float* a, float* b, float* c, int n, int k, float alpha, float beta, int i0, int i1, int j0, int j1)
    {
        for (int pc = 0; pc < k; pc += DotKC)
        {
            int kc = Math.Min(DotKC, k - pc);
            float betaHere = pc == 0 ? beta : 1f;
            for (int i = i0; i < i1; i += DotRows)
                for (int j = j0; j < j1; j += DotCols)
                    Dot4x3(a + (long)i * k + pc, b + (long)j * k + pc, k, kc, Math.Min(DotRows, i1 - i), Math.Min(DotCols, j1 - j),
                        c + (long)i * n + j, n, alpha, betaHere);
        }
    }

    /// <summary>
    /// C[r, q] = alpha * sum over p &lt; kc of a[r·lda + p]·b[q·lda + p] + beta * C[r, q] for r &lt; rows ≤ 4 and
    /// q &lt; cols ≤ 3 (missing rows read row 0 and are not written); C not read when beta is 0.
    /// </summary>
    private static void Dot4x3(float* a, float* b, int lda, int kc, int rows, int cols, float* c, int ldc, float alpha, float beta) =>
        Dot4x3(a, lda, 0, b, cols > 1 ? b + lda : b, cols > 2 ? b + 2L * lda : b, 0, 1, kc, rows, cols, c, ldc, alpha, beta);

    /// <summary>
    /// C[r, q] = alpha * sum over images t &lt; <paramref name="images"/> and p &lt; kc of
    /// a[t·aImage + r·lda + p]·b_q[t·bImage + p] + beta * C[r, q] for r &lt; rows ≤ 4 and q &lt; cols ≤ 3 (missing rows
    /// read row 0, missing columns are not read, neither is written); C not read when beta is 0. The 12 sums stay in
    /// vector registers across the images.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x3(float* a, long lda, long aImage, float* b0, float* b1, float* b2, long bImage, int images, int kc,
        int rows, int cols, float* c, int ldc, float alpha, float beta)
    {
        if (cols < 2) b1 = b0;
        if (cols < 3) b2 = b0;
        long l1 = rows > 1 ? lda : 0, l2 = rows > 2 ? 2 * lda : 0, l3 = rows > 3 ? 3 * lda : 0;
        Vector512<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
        int vectorEnd = kc & ~15;
        for (int t = 0; t < images; t++)
        {
            float* a0 = a + t * aImage, a1 = a0 + l1, a2 = a0 + l2, a3 = a0 + l3;
            float* x0p = b0 + t * bImage, x1p = b1 + t * bImage, x2p = b2 + t * bImage;
            for (int p = 0; p < vectorEnd; p += 16)
            {
                var x0 = Vector512.Load(x0p + p);
                var x1 = Vector512.Load(x1p + p);
                var x2 = Vector512.Load(x2p + p);
                var y = Vector512.Load(a0 + p);
                s00 = Madd(y, x0, s00); s01 = Madd(y, x1, s01); s02 = Madd(y, x2, s02);
                y = Vector512.Load(a1 + p);
                s10 = Madd(y, x0, s10); s11 = Madd(y, x1, s11); s12 = Madd(y, x2, s12);
                y = Vector512.Load(a2 + p);
                s20 = Madd(y, x0, s20); s21 = Madd(y, x1, s21); s22 = Madd(y, x2, s22);
                y = Vector512.Load(a3 + p);
                s30 = Madd(y, x0, s30); s31 = Madd(y, x1, s31); s32 = Madd(y, x2, s32);
            }
        }
        Span<float> sums =
        [
            Vector512.Sum(s00), Vector512.Sum(s01), Vector512.Sum(s02), Vector512.Sum(s10), Vector512.Sum(s11), Vector512.Sum(s12),
            Vector512.Sum(s20), Vector512.Sum(s21), Vector512.Sum(s22), Vector512.Sum(s30), Vector512.Sum(s31), Vector512.Sum(s32),
        ];
        for (int t = 0; t < images && vectorEnd < kc; t++)
        {
            float* a0 = a + t * aImage, a1 = a0 + l1, a2 = a0 + l2, a3 = a0 + l3;
            float* x0p = b0 + t * bImage, x1p = b1 + t * bImage, x2p = b2 + t * bImage;
            for (int p = vectorEnd; p < kc; p++)
            {
                float y0 = a0[p], y1 = a1[p], y2 = a2[p], y3 = a3[p], x0 = x0p[p], x1 = x1p[p], x2 = x2p[p];
                sums[0] += y0 * x0; sums[1] += y0 * x1; sums[2] += y0 * x2;
                sums[3] += y1 * x0; sums[4] += y1 * x1; sums[5] += y1 * x2;
                sums[6] += y2 * x0; sums[7] += y2 * x1; sums[8] += y2 * x2;
                sums[9] += y3 * x0; sums[10] += y3 * x1; sums[11] += y3 * x2;
            }
        }
        for (int r = 0; r < rows; r++)
        {
            float* row = c + (long)r * ldc;
            for (int q = 0; q < cols; q++)
                row[q] = beta == 0f ? alpha * sums[r * DotCols + q] : alpha * sums[r * DotCols + q] + beta * row[q];
        }
    }

    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] into MR-tall strips: strip s holds element (r, p) at s*MR*kc + p*MR + r.</summary>
    private static void PackA(float* a, float* dst, int m, int k, bool transA, int pc, int kc, int ic, int mc, int MR)
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
                TransposeInto(a + (long)(ic + s) * k + pc, k, d, MR, rows, kc);
                for (int r = rows; r < MR; r++)
                    for (int p = 0; p < kc; p++) d[p * MR + r] = 0f;
            }
        }
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] into NR-wide strips: strip s holds element (p, j) at s*kc + p*NR + j.</summary>
    private static void PackB(float* b, float* dst, int n, int k, bool transB, int pc, int kc, int jc, int nc, int NR)
    {
        for (int s = 0; s < nc; s += NR)
        {
            int cols = Math.Min(NR, nc - s);
            float* d = dst + s * kc;
            if (transB)
            {
                // B stored [n, k]: each column of op(B) is a contiguous run over the inner index.
                TransposeInto(b + (long)(jc + s) * k + pc, k, d, NR, cols, kc);
                for (int j = cols; j < NR; j++)
                    for (int p = 0; p < kc; p++) d[p * NR + j] = 0f;
            }
            else if (cols == NR)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(pc + p) * n + jc + s;
                    for (int j = 0; j < NR; j += 8) Vector256.Store(Vector256.Load(src + j), d + p * NR + j);
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
    /// Lists, for each strip of packed B, the rows p that hold a non-zero bit pattern (rows[strip*KC + i]) and
    /// their count (counts[strip]). Rows of +0 (and -0) are left out: their products add nothing to C.
    /// </summary>
    private static void IndexNonZeroRows(float* packed, int kc, int nc, int* rows, int* counts, int NR)
    {
        for (int s = 0; s < nc; s += NR)
        {
            float* d = packed + s * kc;
            int* list = rows + s / NR * KC;
            int count = 0;
            for (int p = 0; p < kc; p++)
            {
                var bits = Vector256<float>.Zero;
                for (int j = 0; j < NR; j += 8) bits |= Vector256.Load(d + p * NR + j);
                list[count] = p;
                count += (bits.AsUInt32() & Vector256.Create(0x7FFFFFFFu)) == Vector256<uint>.Zero ? 0 : 1;
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
    private static void MicroKernel6x16<TRows>(int count, int* rows, float* aStrip, float* bStrip, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
        where TRows : struct, IRows
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int i = 0; i < count; i++)
        {
            int p = TRows.Row(rows, i);
            float* a = aStrip + p * 6;
            float* b = bStrip + p * 16;
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
        if (mr == 6 && nr == 16)
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
        StoreEdge(tile, 16, c, ldc, alpha, beta, mr, nr);
    }

    /// <summary>Rows of a 512-bit register block (a constant per instantiation of <see cref="MicroKernelWide{TRows, THeight}"/>).</summary>
    private interface IHeight
    {
        static abstract int Rows { get; }
    }

    private readonly struct TwelveRows : IHeight
    {
        public static int Rows => 12;
    }

    private readonly struct EightRows : IHeight
    {
        public static int Rows => 8;
    }

    /// <summary>
    /// One THeight x 32 tile with 512-bit vectors (24 or 16 accumulators), otherwise as <see cref="MicroKernel6x16{TRows}"/>;
    /// the A strip is THeight rows tall.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernelWide<TRows, THeight>(int count, int* rows, float* aStrip, float* bStrip, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
        where TRows : struct, IRows
        where THeight : struct, IHeight
    {
        int height = THeight.Rows;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (int i = 0; i < count; i++)
        {
            int p = TRows.Row(rows, i);
            float* a = aStrip + p * height;
            float* b = bStrip + p * 32;
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var ai = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(ai, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(ai, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(ai, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(ai, b0, c40); c41 = Avx512F.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(ai, b0, c50); c51 = Avx512F.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(ai, b0, c60); c61 = Avx512F.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(ai, b0, c70); c71 = Avx512F.FusedMultiplyAdd(ai, b1, c71);
            if (THeight.Rows > 8)
            {
                ai = Vector512.Create(a[8]);
                c80 = Avx512F.FusedMultiplyAdd(ai, b0, c80); c81 = Avx512F.FusedMultiplyAdd(ai, b1, c81);
                ai = Vector512.Create(a[9]);
                c90 = Avx512F.FusedMultiplyAdd(ai, b0, c90); c91 = Avx512F.FusedMultiplyAdd(ai, b1, c91);
                ai = Vector512.Create(a[10]);
                ca0 = Avx512F.FusedMultiplyAdd(ai, b0, ca0); ca1 = Avx512F.FusedMultiplyAdd(ai, b1, ca1);
                ai = Vector512.Create(a[11]);
                cb0 = Avx512F.FusedMultiplyAdd(ai, b0, cb0); cb1 = Avx512F.FusedMultiplyAdd(ai, b1, cb1);
            }
        }
        if (mr == height && nr == 32)
        {
            Update(c, alpha, beta, c00, c01);
            Update(c + ldc, alpha, beta, c10, c11);
            Update(c + 2L * ldc, alpha, beta, c20, c21);
            Update(c + 3L * ldc, alpha, beta, c30, c31);
            Update(c + 4L * ldc, alpha, beta, c40, c41);
            Update(c + 5L * ldc, alpha, beta, c50, c51);
            Update(c + 6L * ldc, alpha, beta, c60, c61);
            Update(c + 7L * ldc, alpha, beta, c70, c71);
            if (THeight.Rows > 8)
            {
                Update(c + 8L * ldc, alpha, beta, c80, c81);
                Update(c + 9L * ldc, alpha, beta, c90, c91);
                Update(c + 10L * ldc, alpha, beta, ca0, ca1);
                Update(c + 11L * ldc, alpha, beta, cb0, cb1);
            }
            return;
        }
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208); c70.Store(tile + 224); c71.Store(tile + 240);
        if (THeight.Rows > 8)
        {
            c80.Store(tile + 256); c81.Store(tile + 272); c90.Store(tile + 288); c91.Store(tile + 304);
            ca0.Store(tile + 320); ca1.Store(tile + 336); cb0.Store(tile + 352); cb1.Store(tile + 368);
        }
        StoreEdge(tile, 32, c, ldc, alpha, beta, mr, nr);
    }

    /// <summary>
    /// Writes the mr x nr corner of an edge tile held row-major in <paramref name="tile"/> (row stride
    /// <paramref name="width"/>) to C: alpha*acc + beta*C, C not read when beta is 0.
    /// </summary>
    /// <param name="tile">The accumulators of a full register block.</param>
    /// <param name="width">The register block's columns (the tile's row stride).</param>
    /// <param name="c">The first element of the C block.</param>
    /// <param name="ldc">The row stride of C.</param>
    /// <param name="alpha">The product's scale.</param>
    /// <param name="beta">The scale of C's old value.</param>
    /// <param name="mr">Rows of C to write.</param>
    /// <param name="nr">Columns of C to write.</param>
    private static void StoreEdge(float* tile, int width, float* c, int ldc, float alpha, float beta, int mr, int nr)
    {
        for (int r = 0; r < mr; r++)
        {
            float* row = c + (long)r * ldc;
            for (int j = 0; j < nr; j++)
                row[j] = beta == 0f ? alpha * tile[r * width + j] : alpha * tile[r * width + j] + beta * row[j];
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

    /// <summary>Writes 32 values of one row of C: alpha*acc + beta*C, C not read when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* c, float alpha, float beta, Vector512<float> lo, Vector512<float> hi)
    {
        var al = Vector512.Create(alpha);
        if (beta == 0f)
        {
            Vector512.Store(lo * al, c);
            Vector512.Store(hi * al, c + 16);
        }
        else
        {
            var be = Vector512.Create(beta);
            Vector512.Store(Avx512F.FusedMultiplyAdd(lo, al, Vector512.Load(c) * be), c);
            Vector512.Store(Avx512F.FusedMultiplyAdd(hi, al, Vector512.Load(c + 16) * be), c + 16);
        }
    }

    /// <summary>a*b + c, fused where the CPU has AVX-512 (the dot form also runs, slower, without it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Madd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : a * b + c;

    /// <summary>a*b + c, fused where the CPU has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Madd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
}
