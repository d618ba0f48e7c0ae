namespace IlgpuSnn.Kernels;

/// <summary>
/// Image operands of the CPU GEMM, for convolution as an implicit GEMM: op(B) read from NCHW images through the
/// convolution window (the column matrix of im2col, never materialised) and C written into NCHW planes (no layout
/// copy). Packing does the reading and the tile store the writing, so the micro-kernels are the plain GEMM's.
/// </summary>
internal static unsafe partial class HostGemm
{
    /// <summary>Image form flags of <see cref="Compute"/>: plain row-major matrices.</summary>
    internal const int PlainForm = 0;

    /// <summary>
    /// op(B) [C·kh·kw, nb·Ho·Wo] is the column matrix of the images B [nb, C, H, W] under the convolution's geometry:
    /// element (row (c, ki, kj), column (image, oh, ow)) = B[image, c, oh·stride − padding + ki, ow·stride − padding + kj],
    /// zero outside the image.
    /// </summary>
    internal const int WindowB = 1;

    /// <summary>
    /// C [m, nb·Ho·Wo] is stored as nb images of [m, Ho·Wo]: element (i, column (image, l)) at (image·m + i)·Ho·Wo + l.
    /// </summary>
    internal const int NchwC = 2;

    /// <summary>
    /// Packs op(B)[pc..pc+kc, jc..jc+nc] of <see cref="WindowB"/> into NR-wide strips laid out as <see cref="PackB"/>
    /// does (strip s holds element (p, j) at s·kc + p·NR + j, zero-padded past the last column). Each strip's columns
    /// split into runs along one output row of one image; per row p of the strip every run is one read along an image
    /// row (contiguous at stride 1, copied in whole vectors) between zero edges.
    /// </summary>
    private static void PackWindow(float* x, float* dst, in HostIm2Col.ConvShape s, int pc, int kc, int jc, int nc, int NR)
    {
        int spatial = s.OutH * s.OutW, window = s.Kh * s.Kw;
        long plane = (long)s.Height * s.Width, image = s.Channels * plane;
        float* xEnd = x + s.Nb * image;
        // At most one run per column: start in the strip, length, image offset, first image row and column (padding
        // subtracted) of the window at (ki, kj) = (0, 0).
        int* start = stackalloc int[NR];
        int* length = stackalloc int[NR];
        long* offset = stackalloc long[NR];
        int* top = stackalloc int[NR];
        int* left = stackalloc int[NR];
        for (int st = 0; st < nc; st += NR)
        {
            int cols = Math.Min(NR, nc - st);
            float* d = dst + (long)st * kc;
            int runs = 0;
            for (int q = 0; q < cols;)
            {
                int j = jc + st + q;
                int img = j / spatial, l = j - img * spatial, oh = l / s.OutW, ow = l - oh * s.OutW;
                int len = Math.Min(cols - q, s.OutW - ow);
                start[runs] = q;
                length[runs] = len;
                offset[runs] = img * image;
                top[runs] = oh * s.Stride - s.Padding;
                left[runs] = ow * s.Stride - s.Padding;
                runs++;
                q += len;
            }
            int c = pc / window, r = pc - c * window, ki = r / s.Kw, kj = r - ki * s.Kw;
            for (int p = 0; p < kc; p++)
            {
                float* row = d + p * NR;
                for (int g = 0; g < runs; g++)
                {
                    float* o = row + start[g];
                    int len = length[g], h = top[g] + ki;
                    if ((uint)h >= (uint)s.Height)
                    {
                        for (int t = 0; t < len; t++) o[t] = 0f;
                        continue;
                    }
                    float* src = x + offset[g] + c * plane + (long)h * s.Width;
                    int w0 = left[g] + kj;
                    if (s.Stride == 1)
                    {
                        // Whole vectors: what one writes past the run is written again by the next run, the zeros
                        // past the last column, the next row or strip, or lands in the packed buffer's slack.
                        int lo = Math.Clamp(-w0, 0, len), hi = Math.Clamp(s.Width - w0, lo, len);
                        CopyWide(src + w0 + lo, o + lo, hi - lo, xEnd);
                        for (int t = 0; t < lo; t++) o[t] = 0f;
                        for (int t = hi; t < len; t++) o[t] = 0f;
                    }
                    else
                    {
                        for (int t = 0, w = w0; t < len; t++, w += s.Stride) o[t] = (uint)w < (uint)s.Width ? src[w] : 0f;
                    }
                }
                for (int t = cols; t < NR; t++) row[t] = 0f;
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
        }
    }

    /// <summary>
    /// Writes the mr x nr corner of a tile (row-major, row stride <paramref name="width"/>) whose columns start at
    /// column <paramref name="j"/> of a <see cref="NchwC"/> C of <paramref name="m"/> rows and crosses images:
    /// alpha·acc + beta·C, C not read when beta is 0.
    /// </summary>
    private static void ScatterNchw(float* tile, int width, float* c, int m, int spatial, int i, int j, int mr, int nr, float alpha, float beta)
    {
        for (int q = 0; q < nr; q++)
        {
            int image = (j + q) / spatial, l = j + q - image * spatial;
            float* column = c + ((long)image * m + i) * spatial + l;
            for (int r = 0; r < mr; r++)
            {
                float* e = column + (long)r * spatial;
                *e = beta == 0f ? alpha * tile[r * width + q] : alpha * tile[r * width + q] + beta * *e;
            }
        }
    }
}
