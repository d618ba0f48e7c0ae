using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The convolution's two gradients on the CPU as implicit GEMMs over the whole batch, one launch each, no column
/// matrix in memory: the weight gradient reads the input through the window into small per-worker blocks and sums
/// dot products over every image; the input gradient computes Wᵀ·dY for one image and a group of input channels into a
/// cache-sized tile and adds it into dX (col2im) while the tile is hot.
/// </summary>
internal static unsafe partial class HostGemm
{
    /// <summary>
    /// Form of <see cref="Compute"/>: the weight gradient C [m = O, n = C·kh·kw] = alpha · A·op(B) + beta · C with A the
    /// output gradient as NCHW images [nb, O, Ho·Wo] (element (o, column (image, l)) at (image·O + o)·Ho·Wo + l) and
    /// op(B) [nb·Ho·Wo, C·kh·kw] the transposed column matrix of the images B [nb, C, H, W] (see <see cref="WindowB"/>).
    /// </summary>
    internal const int WeightGradientForm = 4;

    /// <summary>
    /// Form of <see cref="Compute"/>: the input gradient of images [nb, C, H, W] written to C, the column-to-image sum
    /// (col2im) of op(A)·B with A the weights stored [k = O, m = C·kh·kw] (transposed) and B the output gradient as NCHW
    /// images [nb, O, Ho·Wo]; alpha 1, beta 0 (C is overwritten).
    /// </summary>
    internal const int InputGradientForm = 8;

    /// <summary>
    /// Floats of the column tile of the input gradient (input channels × window × Ho·Wo of one image): about 256 KB, so
    /// that it is still in L2 when col2im adds it up.
    /// </summary>
    private const int ColumnTileFloats = 64 * 1024;

    /// <summary>Largest rows × columns of C that one worker's weight-gradient rectangle packs at once.</summary>
    private const int WeightRows = 128, WeightCols = 240;

    /// <summary>
    /// Floats of one block of the weight gradient's copied rows (about 768 KB, within L2): the block's length along
    /// the batch is this over the rectangle's rows + columns, between 256 and 2048.
    /// </summary>
    private const int WeightBlockFloats = 192 * 1024;

    [ThreadStatic] private static float[]? columnTile;
    [ThreadStatic] private static float[]? windowRows;
    [ThreadStatic] private static float[]? packedWeights;
    [ThreadStatic] private static float[]? paddedPlanes;

    /// <summary>
    /// Worker <paramref name="thread"/>'s share of the <see cref="WeightGradientForm"/>: the rows (output channels) or
    /// the columns (input channel, ki, kj) of C split in whole 4-row or 3-column groups as the dot form splits them.
    /// Per block of columns of the batch (crossing images; see <see cref="WeightBlockFloats"/>), the worker copies its rows of the
    /// output gradient and its rows of the column matrix (read through the window) into contiguous rows padded with
    /// zeros to a multiple of 16, and adds their 4x3 groups of dot products to C (the first block scales C by beta).
    /// </summary>
    private static void WeightGradient(float* gy, float* x, float* c, int m, int n, float alpha, float beta, int thread, int threads, in HostIm2Col.ConvShape s)
    {
        int rowGroups = (m + DotRows - 1) / DotRows, colGroups = (n + DotCols - 1) / DotCols;
        int d0 = 0, d1 = m, e0 = 0, e1 = n;
        if (rowGroups >= colGroups) (d0, d1) = GridStride.Share(m, DotRows, thread, threads);
        else (e0, e1) = GridStride.Share(n, DotCols, thread, threads);
        if (d0 >= d1 || e0 >= e1) return;
        if (s.Stride == 1)
        {
            WeightGradientPadded(gy, x, c, m, n, alpha, beta, d0, d1, e0, e1, s);
            return;
        }
        long inner = (long)s.Nb * s.OutH * s.OutW;
        windowRows ??= GC.AllocateUninitializedArray<float>(WeightBlockFloats + (WeightRows + WeightCols) * (16 + Slack), pinned: true);
        fixed (float* buffer = windowRows)
        {
            for (int i0 = d0; i0 < d1; i0 += WeightRows)
            {
                int i1 = Math.Min(d1, i0 + WeightRows);
                for (int j0 = e0; j0 < e1; j0 += WeightCols)
                {
                    int j1 = Math.Min(e1, j0 + WeightCols);
                    // The longest block whose rows fit the budget: fewer horizontal sums per dot product.
                    int block = Math.Clamp(WeightBlockFloats / (i1 - i0 + j1 - j0), 256, 2048) & ~15;
                    for (long p0 = 0; p0 < inner; p0 += block)
                    {
                        int kc = (int)Math.Min(block, inner - p0), padded = (kc + 15) & ~15, ld = padded + Slack;
                        float betaHere = p0 == 0 ? beta : 1f;
                        float* pa = buffer, pb = buffer + (long)(i1 - i0) * ld;
                        CopyImageRows(gy, pa, m, s.OutH * s.OutW, i0, i1, p0, kc, padded, ld);
                        CopyWindowRows(x, pb, s, j0, j1, p0, kc, padded, ld);
                        for (int i = i0; i < i1; i += DotRows)
                            for (int j = j0; j < j1; j += DotCols)
                                Dot4x3(pa + (long)(i - i0) * ld, pb + (long)(j - j0) * ld, ld, padded,
                                    Math.Min(DotRows, i1 - i), Math.Min(DotCols, j1 - j), c + (long)i * n + j, n, alpha, betaHere);
                    }
                }
            }
        }
    }

    /// <summary>Floats of the padded planes one worker of <see cref="WeightGradientPadded"/> holds at once (about 512 KB, within L2).</summary>
    private const int PaddedBlockFloats = 128 * 1024;

    /// <summary>
    /// The weight gradient at stride 1 over rows [d0, d1) (output channels) and columns [e0, e1) (input channel, ki, kj)
    /// of C, without a column matrix: with x's planes zero-padded to Hp x Wp (Wp = W + 2·padding) and dY's rows padded
    /// with zeros from Wo to Wp, the column matrix's row (c, ki, kj) over the outputs (oh, ow) of an image is the padded
    /// plane read from ki·Wp + kj on, so each element of C is one contiguous dot product per image of a padded dY row
    /// with a shifted padded x plane (the padding columns of dY are zeros and add nothing). Per block of images
    /// (<see cref="PaddedBlockFloats"/>) the worker pads its rows of dY and its channels of x, then every 4x3 group of C
    /// gets its dot products over the block's images (the first block scales C by beta). Same values as the column
    /// matrix's products up to the order of the sums, except that a non-finite x next to a zero padding column of dY
    /// also meets that zero (NaN where the column matrix never pairs them).
    /// </summary>
    private static void WeightGradientPadded(float* gy, float* x, float* c, int m, int n, float alpha, float beta, int d0, int d1, int e0, int e1,
        in HostIm2Col.ConvShape s)
    {
        int wp = s.Width + 2 * s.Padding, hp = s.Height + 2 * s.Padding, window = s.Kh * s.Kw, spatial = s.OutH * s.OutW;
        // A dY row holds OutH·Wp values then zeros to a whole vector; an x plane holds Hp·Wp values then zeros for the
        // reads of the last shifted rows past the plane (at most (kh−1)·Wp + kw − 1 + the dY row's length).
        int rowLength = (s.OutH * wp + 15) & ~15, planeLength = (hp * wp + s.Kw + 31) & ~15;
        int c0 = e0 / window, c1 = (e1 - 1) / window + 1, channels = c1 - c0, rows = d1 - d0;
        long perImage = (long)rows * rowLength + (long)channels * planeLength;
        int images = (int)Math.Clamp(PaddedBlockFloats / perImage, 1, s.Nb);
        long floats = images * perImage;
        if (paddedPlanes is null || paddedPlanes.Length < floats) paddedPlanes = GC.AllocateUninitializedArray<float>((int)floats, pinned: true);
        long plane = (long)s.Height * s.Width;
        fixed (float* buffer = paddedPlanes)
        {
            for (int n0 = 0; n0 < s.Nb; n0 += images)
            {
                int ni = Math.Min(images, s.Nb - n0);
                float* pg = buffer, px = buffer + (long)ni * rows * rowLength;
                new Span<float>(buffer, (int)(ni * perImage)).Clear();
                for (int t = 0; t < ni; t++)
                {
                    for (int o = d0; o < d1; o++)
                    {
                        float* src = gy + ((long)(n0 + t) * m + o) * spatial, dst = pg + ((long)t * rows + o - d0) * rowLength;
                        for (int oh = 0; oh < s.OutH; oh++)
                            new ReadOnlySpan<float>(src + oh * s.OutW, s.OutW).CopyTo(new Span<float>(dst + oh * wp, s.OutW));
                    }
                    for (int ch = c0; ch < c1; ch++)
                    {
                        float* src = x + ((long)(n0 + t) * s.Channels + ch) * plane;
                        float* dst = px + ((long)t * channels + ch - c0) * planeLength + s.Padding * wp + s.Padding;
                        for (int h = 0; h < s.Height; h++)
                            new ReadOnlySpan<float>(src + h * s.Width, s.Width).CopyTo(new Span<float>(dst + h * wp, s.Width));
                    }
                }
                float betaHere = n0 == 0 ? beta : 1f;
                for (int i = d0; i < d1; i += DotRows)
                    for (int j = e0; j < e1; j += DotCols)
                    {
                        int cols = Math.Min(DotCols, e1 - j);
                        float* b0 = Shifted(px, j, c0, window, s.Kw, wp, planeLength);
                        float* b1 = cols > 1 ? Shifted(px, j + 1, c0, window, s.Kw, wp, planeLength) : b0;
                        float* b2 = cols > 2 ? Shifted(px, j + 2, c0, window, s.Kw, wp, planeLength) : b0;
                        Dot4x3(pg + (long)(i - d0) * rowLength, rowLength, (long)rows * rowLength, b0, b1, b2, (long)channels * planeLength, ni, rowLength,
                            Math.Min(DotRows, d1 - i), cols, c + (long)i * n + j, n, alpha, betaHere);
                    }
            }
        }
    }

    /// <summary>The padded x plane of column j = (channel, ki, kj) of the weight gradient, read from ki·Wp + kj on (first image of the block).</summary>
    private static float* Shifted(float* px, int j, int c0, int window, int kw, int wp, int planeLength)
    {
        int ch = j / window, r = j - ch * window, ki = r / kw, kj = r - ki * kw;
        return px + (long)(ch - c0) * planeLength + ki * wp + kj;
    }

    /// <summary>Floats past the end of a packed row or buffer that the whole-vector copies of short runs (<see cref="CopyWide"/>) may write.</summary>
    private const int Slack = 16;

    /// <summary>
    /// Copies rows [i0, i1) of columns [p0, p0 + kc) of an NCHW matrix [m, nb·spatial] (element (i, column (image, l)) at
    /// (image·m + i)·spatial + l) into dst rows of stride <paramref name="ld"/>, zeros from kc to <paramref name="padded"/>.
    /// </summary>
    private static void CopyImageRows(float* src, float* dst, int m, int spatial, int i0, int i1, long p0, int kc, int padded, int ld)
    {
        for (int t = 0; t < kc;)
        {
            long p = p0 + t;
            long image = p / spatial;
            int l = (int)(p - image * spatial), len = Math.Min(spatial - l, kc - t);
            for (int i = i0; i < i1; i++)
                new ReadOnlySpan<float>(src + (image * m + i) * spatial + l, len).CopyTo(new Span<float>(dst + (long)(i - i0) * ld + t, len));
            t += len;
        }
        for (int i = i0; i < i1; i++) new Span<float>(dst + (long)(i - i0) * ld + kc, padded - kc).Clear();
    }

    /// <summary>
    /// Copies rows [j0, j1) (input channel, ki, kj) of columns [p0, p0 + kc) (image, oh, ow) of the column matrix of
    /// the images <paramref name="x"/> (element = x[image, c, oh·stride − padding + ki, ow·stride − padding + kj], zero
    /// outside the image) into dst rows of stride <paramref name="ld"/>, zeros from kc to <paramref name="padded"/>. The
    /// columns go in runs along one output row; each run of each row is one read along an image row between zero edges,
    /// written whole vectors at a time: what a vector writes past a run is written again by the next run of the row,
    /// by the zeros past kc, or lands in the <see cref="Slack"/>.
    /// </summary>
    private static void CopyWindowRows(float* x, float* dst, in HostIm2Col.ConvShape s, int j0, int j1, long p0, int kc, int padded, int ld)
    {
        int spatial = s.OutH * s.OutW, window = s.Kh * s.Kw;
        long plane = (long)s.Height * s.Width, image = s.Channels * plane;
        float* xEnd = x + s.Nb * image;
        for (int t = 0; t < kc;)
        {
            long p = p0 + t;
            long img = p / spatial;
            int l = (int)(p - img * spatial), oh = l / s.OutW, ow = l - oh * s.OutW;
            int len = Math.Min(s.OutW - ow, kc - t);
            int top = oh * s.Stride - s.Padding, left = ow * s.Stride - s.Padding;
            int c = j0 / window, r = j0 - c * window, ki = r / s.Kw, kj = r - ki * s.Kw;
            for (int j = j0; j < j1; j++)
            {
                float* o = dst + (long)(j - j0) * ld + t;
                int h = top + ki;
                if ((uint)h >= (uint)s.Height)
                {
                    for (int q = 0; q < len; q += 16) Vector512<float>.Zero.Store(o + q);
                }
                else
                {
                    float* src = x + img * image + c * plane + (long)h * s.Width;
                    int w0 = left + kj;
                    if (s.Stride == 1)
                    {
                        int lo = Math.Clamp(-w0, 0, len), hi = Math.Clamp(s.Width - w0, lo, len);
                        CopyWide(src + w0 + lo, o + lo, hi - lo, xEnd);
                        for (int q = 0; q < lo; q++) o[q] = 0f;
                        for (int q = hi; q < len; q++) o[q] = 0f;
                    }
                    else
                    {
                        for (int q = 0, w = w0; q < len; q++, w += s.Stride) o[q] = (uint)w < (uint)s.Width ? src[w] : 0f;
                    }
                }
                if (++kj == s.Kw)
                {
                    kj = 0;
                    if (++ki == s.Kh)
                    {
                        ki = 0;
                        c++;
                    }
                }
            }
            t += len;
        }
        for (int j = j0; j < j1; j++) new Span<float>(dst + (long)(j - j0) * ld + kc, padded - kc).Clear();
    }

    /// <summary>
    /// Copies count floats in whole 16-float vectors (writing up to 15 past count), the last one element by element
    /// where a whole vector would read past <paramref name="srcEnd"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyWide(float* src, float* dst, int count, float* srcEnd)
    {
        int q = 0;
        for (; q + 16 <= count; q += 16) Vector512.Load(src + q).Store(dst + q);
        if (q == count) return;
        if (src + q + 16 <= srcEnd)
        {
            Vector512.Load(src + q).Store(dst + q);
            return;
        }
        for (; q < count; q++) dst[q] = src[q];
    }

    /// <summary>
    /// Worker <paramref name="thread"/>'s share of the <see cref="InputGradientForm"/>: the items (image, group of
    /// input channels) split in equal runs. The worker packs Wᵀ (W stored [k, m]) once into register-block strips;
    /// per item it packs the image's output gradient [k, Ho·Wo] and computes the group's rows (channel, ki, kj) of
    /// Wᵀ·dY into a tile of about <see cref="ColumnTileFloats"/> with the packed GEMM's micro-kernel (same values as
    /// the whole column matrix's), then sums the tile into the group's planes of dX (col2im, same order). A dX plane
    /// gets rows of its own channel only, so no two workers write the same element.
    /// </summary>
    private static void InputGradient(float* w, float* gy, float* dx, int m, int k, bool wide, int thread, int threads, in HostIm2Col.ConvShape s)
    {
        int MR = RowsOf(wide), NR = ColumnsOf(wide);
        int spatial = s.OutH * s.OutW, window = s.Kh * s.Kw;
        // Groups of whole channels whose rows start on a register-block strip (a multiple of MR rows).
        int align = MR / Gcd(window, MR);
        int perGroup = (int)Math.Clamp(ColumnTileFloats / Math.Max(1L, (long)window * spatial), 1, s.Channels);
        perGroup = Math.Min(s.Channels, Math.Max(align, perGroup / align * align));
        int groups = (s.Channels + perGroup - 1) / perGroup;
        long items = (long)s.Nb * groups, per = (items + threads - 1) / threads;
        long start = Math.Min(items, thread * per), end = Math.Min(items, start + per);
        if (start >= end) return;
        long tileFloats = (long)perGroup * window * spatial, strips = (m + MR - 1) / MR * MR;
        if (columnTile is null || columnTile.Length < tileFloats) columnTile = GC.AllocateUninitializedArray<float>((int)tileFloats, pinned: true);
        if (packedWeights is null || packedWeights.Length < strips * k) packedWeights = GC.AllocateUninitializedArray<float>((int)(strips * k), pinned: true);
        packedB ??= GC.AllocateUninitializedArray<float>(KC * NC + Slack, pinned: true);
        var one = s with { Nb = 1 };
        long plane = (long)s.Height * s.Width;
        float* edge = stackalloc float[MaxTile];
        fixed (float* tile = columnTile, pa = packedWeights, pb = packedB)
        {
            // Block pc of the inner dimension holds all m rows in strips: row strip ir at pc·strips + ir·kc.
            for (int pc = 0; pc < k; pc += KC) PackA(w, pa + pc * strips, m, k, true, pc, Math.Min(KC, k - pc), 0, m, MR);
            for (long item = start; item < end; item++)
            {
                long image = item / groups;
                int c0 = (int)(item - image * groups) * perGroup, c1 = Math.Min(s.Channels, c0 + perGroup);
                int i0 = c0 * window, i1 = c1 * window;
                // The tile holds rows [i0, i1) of the image's column gradient [m, spatial].
                float* rows = tile - (long)i0 * spatial, g = gy + image * k * spatial;
                for (int jc = 0; jc < spatial; jc += NC)
                {
                    int nc = Math.Min(NC, spatial - jc);
                    for (int pc = 0; pc < k; pc += KC)
                    {
                        int kc = Math.Min(KC, k - pc);
                        PackB(g, pb, spatial, k, false, pc, kc, jc, nc, NR);
                        for (int jr = 0; jr < nc; jr += NR)
                            for (int ir = i0; ir < i1; ir += MR)
                                Tile(wide, MR, false, kc, null, pa + pc * strips + (long)ir * kc, pb + jr * kc, rows + (long)ir * spatial + jc + jr, spatial,
                                    1f, pc == 0 ? 0f : 1f, Math.Min(MR, i1 - ir), Math.Min(NR, nc - jr), edge);
                    }
                }
                HostIm2Col.Copy(HostIm2Col.Col2ImForm, rows, null, dx + image * s.Channels * plane, c0, c1, one);
            }
        }
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}
