using ILGPU;
using ILGPU.Frontend;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of the convolution layout kernels of <see cref="Im2Col"/>: same layouts and results,
/// but each worker thread takes one contiguous share of whole rows (image rows of the column matrix, input planes,
/// output planes) and copies them through host pointers, where the portable kernels pay ILGPU's view indexer and a
/// division chain per element. GPUs and the tests that switch host kernels off run the portable forms.
/// </summary>
internal static class HostIm2Col
{
    /// <summary>Form codes of <see cref="HostKernel"/>.</summary>
    internal const int Im2ColForm = 0, Col2ImForm = 1, ChunkToNchwForm = 2, NchwToChunkForm = 3;

    /// <summary>Runs one layout form; the shape is (nb, channels, height, width, kh, kw, stride, padding, outH, outW).</summary>
    public static void Run(Device device, int form, ArrayView<float> source, ArrayView<float> bias, ArrayView<float> target, long items,
        int nb, int channels, int height, int width, int kh, int kw, int stride, int padding, int outH, int outW)
    {
        device.Kernels.Load<int, long, long, long, long, ConvShape>(HostKernel)(
            device.Launch.GridStride(items), form, HostMemory.Address(source), HostMemory.Address(bias), HostMemory.Address(target), items,
            new ConvShape(nb, channels, height, width, kh, kw, stride, padding, outH, outW));
    }

    /// <summary>
    /// Each thread takes items [start, end) of <paramref name="items"/>: Im2Col rows (row of the column matrix, image),
    /// Col2Im input planes (image, channel), ChunkToNchw / NchwToChunk output planes (image, channel).
    /// </summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the portable Im2Col kernels.")]
    internal static unsafe void HostKernel(int form, long source, long bias, long target, long items, ConvShape shape)
    {
        var (start, end) = GridStride.Chunk(items);
        if (start >= end) return;
        Copy(form, (float*)source, (float*)bias, (float*)target, start, end, shape);
    }

    /// <summary>The geometry of one chunk of a convolution.</summary>
    internal readonly record struct ConvShape(int Nb, int Channels, int Height, int Width, int Kh, int Kw, int Stride, int Padding, int OutH, int OutW);

    /// <summary>The host body of <see cref="HostKernel"/> (opaque to ILGPU's frontend: it uses spans).</summary>
    [External("ilgpusnn_host_im2col")]
    internal static unsafe void Copy(int form, float* source, float* bias, float* target, long start, long end, ConvShape s)
    {
        int spatial = s.OutH * s.OutW;
        long cols = (long)s.Nb * spatial;
        long plane = (long)s.Height * s.Width;
        for (long item = start; item < end; item++)
        {
            if (form == Im2ColForm)
            {
                // item = row * nb + n: fills col[row, n*spatial .. (n+1)*spatial).
                long row = item / s.Nb;
                int n = (int)(item - row * s.Nb);
                int kj = (int)(row % s.Kw), ki = (int)(row / s.Kw % s.Kh), c = (int)(row / ((long)s.Kw * s.Kh));
                float* x = source + ((long)n * s.Channels + c) * plane;
                float* dst = target + row * cols + (long)n * spatial;
                for (int oh = 0; oh < s.OutH; oh++, dst += s.OutW)
                {
                    int h = oh * s.Stride - s.Padding + ki;
                    if (h < 0 || h >= s.Height)
                    {
                        new Span<float>(dst, s.OutW).Clear();
                        continue;
                    }
                    float* xrow = x + (long)h * s.Width;
                    if (s.Stride == 1)
                    {
                        // Columns ow in [lo, hi) read x[h, ow - padding + kj]: one contiguous copy between zero edges.
                        int lo = Math.Clamp(s.Padding - kj, 0, s.OutW), hi = Math.Clamp(s.Width + s.Padding - kj, lo, s.OutW);
                        new Span<float>(dst, lo).Clear();
                        new Span<float>(xrow + lo - s.Padding + kj, hi - lo).CopyTo(new Span<float>(dst + lo, hi - lo));
                        new Span<float>(dst + hi, s.OutW - hi).Clear();
                        continue;
                    }
                    for (int ow = 0; ow < s.OutW; ow++)
                    {
                        int w = ow * s.Stride - s.Padding + kj;
                        dst[ow] = w >= 0 && w < s.Width ? xrow[w] : 0f;
                    }
                }
            }
            else if (form == Col2ImForm)
            {
                // item = n * channels + c: x plane = sum of the col entries that read it, in (ki, kj) order per pixel.
                int n = (int)(item / s.Channels), c = (int)(item % s.Channels);
                float* x = target + item * plane;
                new Span<float>(x, (int)plane).Clear();
                for (int ki = 0; ki < s.Kh; ki++)
                    for (int kj = 0; kj < s.Kw; kj++)
                    {
                        float* src = source + (((long)c * s.Kh + ki) * s.Kw + kj) * cols + (long)n * spatial;
                        for (int oh = 0; oh < s.OutH; oh++)
                        {
                            int h = oh * s.Stride - s.Padding + ki;
                            if (h < 0 || h >= s.Height) continue;
                            float* xrow = x + (long)h * s.Width;
                            float* srow = src + (long)oh * s.OutW;
                            if (s.Stride == 1)
                            {
                                // Columns ow in [lo, hi) add to x[h, ow - padding + kj]: one branch-free run.
                                int lo = Math.Clamp(s.Padding - kj, 0, s.OutW), hi = Math.Clamp(s.Width + s.Padding - kj, lo, s.OutW);
                                float* xr = xrow - s.Padding + kj;
                                for (int ow = lo; ow < hi; ow++) xr[ow] += srow[ow];
                                continue;
                            }
                            for (int ow = 0; ow < s.OutW; ow++)
                            {
                                int w = ow * s.Stride - s.Padding + kj;
                                if (w >= 0 && w < s.Width) xrow[w] += srow[ow];
                            }
                        }
                    }
            }
            else
            {
                // item = n * channels + o: one plane of y [nb, O, spatial] against one run of chunk [O, nb*spatial].
                int n = (int)(item / s.Channels), o = (int)(item % s.Channels);
                var nchw = new Span<float>((form == ChunkToNchwForm ? target : source) + item * spatial, spatial);
                var run = new Span<float>((form == ChunkToNchwForm ? source : target) + o * cols + (long)n * spatial, spatial);
                if (form == NchwToChunkForm)
                {
                    nchw.CopyTo(run);
                }
                else if (bias == null)
                {
                    run.CopyTo(nchw);
                }
                else
                {
                    float b = bias[o];
                    for (int l = 0; l < spatial; l++) nchw[l] = run[l] + b;
                }
            }
        }
    }
}
