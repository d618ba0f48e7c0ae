using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Layout kernels for convolution as GEMM. For a chunk of <c>nb</c> images of [C, H, W], the column matrix is
/// [C*kh*kw, nb*Ho*Wo] (row (c, ki, kj), column (n, oh, ow)); the GEMM result is [O, nb*Ho*Wo] and is scattered
/// to / gathered from the NCHW output with <see cref="ChunkToNchw"/> / <see cref="NchwToChunk"/>.
/// All are grid-stride loops without atomics.
/// </summary>
internal static class Im2Col
{
    /// <summary>
    /// Fills <paramref name="col"/> [C*kh*kw, nb*Ho*Wo] from <paramref name="x"/> [nb, C, H, W] (zero where the window
    /// reaches into the padding).
    /// </summary>
    public static void Forward(Device device, ArrayView<float> x, ArrayView<float> col, int nb, int channels, int height, int width,
        int kh, int kw, int stride, int padding, int outH, int outW)
    {
        ArgumentNullException.ThrowIfNull(device);
        long total = (long)channels * kh * kw * nb * outH * outW;
        if (total == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostIm2Col.Run(device, HostIm2Col.Im2ColForm, x, default, col.SubView(0, total), (long)channels * kh * kw * nb,
                nb, channels, height, width, kh, kw, stride, padding, outH, outW);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, int, int, int, int>(Im2ColKernel)(
            device.Launch.GridStride(total), x, col.SubView(0, total), nb, channels, height, width, kh, kw, stride, padding, outH, outW);
    }

    /// <summary>
    /// The adjoint of <see cref="Forward"/>: <paramref name="x"/> [nb, C, H, W] = sum of the entries of
    /// <paramref name="col"/> that read each pixel. Computed as a gather (each pixel sums its own contributions).
    /// </summary>
    public static void Backward(Device device, ArrayView<float> col, ArrayView<float> x, int nb, int channels, int height, int width,
        int kh, int kw, int stride, int padding, int outH, int outW)
    {
        ArgumentNullException.ThrowIfNull(device);
        long total = (long)nb * channels * height * width;
        if (total == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostIm2Col.Run(device, HostIm2Col.Col2ImForm, col, default, x.SubView(0, total), (long)nb * channels,
                nb, channels, height, width, kh, kw, stride, padding, outH, outW);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, int, int, int, int>(Col2ImKernel)(
            device.Launch.GridStride(total), col, x.SubView(0, total), nb, channels, height, width, kh, kw, stride, padding, outH, outW);
    }

    /// <summary>
    /// y[n, o, l] = chunk[o, n*L + l] + bias[o] for n &lt; nb, with L = <paramref name="spatial"/>; pass an empty
    /// <paramref name="bias"/> for none.
    /// </summary>
    public static void ChunkToNchw(Device device, ArrayView<float> chunk, ArrayView<float> bias, ArrayView<float> y, int nb, int channels, int spatial)
    {
        ArgumentNullException.ThrowIfNull(device);
        long total = (long)nb * channels * spatial;
        if (total == 0) return;
        bool hasBias = bias.Length > 0;
        if (device.Launch.UseHostKernels)
        {
            HostIm2Col.Run(device, HostIm2Col.ChunkToNchwForm, chunk, bias, y.SubView(0, total), (long)nb * channels,
                nb, channels, 1, spatial, 1, 1, 1, 0, 1, spatial);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(ChunkToNchwKernel)(
            device.Launch.GridStride(total), chunk, hasBias ? bias : chunk, y.SubView(0, total), nb, channels, spatial, hasBias ? 1 : 0);
    }

    /// <summary>chunk[o, n*L + l] = y[n, o, l] for n &lt; nb, with L = <paramref name="spatial"/>.</summary>
    public static void NchwToChunk(Device device, ArrayView<float> y, ArrayView<float> chunk, int nb, int channels, int spatial)
    {
        ArgumentNullException.ThrowIfNull(device);
        long total = (long)nb * channels * spatial;
        if (total == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostIm2Col.Run(device, HostIm2Col.NchwToChunkForm, y, default, chunk.SubView(0, total), (long)nb * channels,
                nb, channels, 1, spatial, 1, 1, 1, 0, 1, spatial);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, int>(NchwToChunkKernel)(
            device.Launch.GridStride(total), y, chunk.SubView(0, total), nb, channels, spatial);
    }

    [Kernel]
    internal static void Im2ColKernel(ArrayView<float> x, ArrayView<float> col, int nb, int channels, int height, int width,
        int kh, int kw, int stride, int padding, int outH, int outW)
    {
        long spatial = (long)outH * outW;
        long cols = nb * spatial;
        foreach (long i in GridStride.Over(col.Length))
        {
            long row = i / cols;
            long column = i - row * cols;
            int kj = (int)(row % kw);
            int ki = (int)(row / kw % kh);
            int c = (int)(row / ((long)kw * kh));
            int n = (int)(column / spatial);
            int l = (int)(column - n * spatial);
            int oh = l / outW;
            int ow = l - oh * outW;
            int h = oh * stride - padding + ki;
            int w = ow * stride - padding + kj;
            col[i] = h >= 0 && h < height && w >= 0 && w < width
                ? x[(((long)n * channels + c) * height + h) * width + w]
                : 0f;
        }
    }

    [Kernel]
    internal static void Col2ImKernel(ArrayView<float> col, ArrayView<float> x, int nb, int channels, int height, int width,
        int kh, int kw, int stride, int padding, int outH, int outW)
    {
        long spatial = (long)outH * outW;
        long cols = nb * spatial;
        foreach (long i in GridStride.Over(x.Length))
        {
            int w = (int)(i % width);
            int h = (int)(i / width % height);
            int c = (int)(i / ((long)width * height) % channels);
            int n = (int)(i / ((long)width * height * channels));
            float sum = 0f;
            for (int ki = 0; ki < kh; ki++)
            {
                int th = h + padding - ki;
                if (th < 0 || th % stride != 0) continue;
                int oh = th / stride;
                if (oh >= outH) continue;
                for (int kj = 0; kj < kw; kj++)
                {
                    int tw = w + padding - kj;
                    if (tw < 0 || tw % stride != 0) continue;
                    int ow = tw / stride;
                    if (ow >= outW) continue;
                    long row = ((long)c * kh + ki) * kw + kj;
                    sum += col[row * cols + n * spatial + (long)oh * outW + ow];
                }
            }
            x[i] = sum;
        }
    }

    [Kernel]
    internal static void ChunkToNchwKernel(ArrayView<float> chunk, ArrayView<float> bias, ArrayView<float> y, int nb, int channels, int spatial, int hasBias)
    {
        long cols = (long)nb * spatial;
        foreach (long i in GridStride.Over(y.Length))
        {
            long l = i % spatial;
            long o = i / spatial % channels;
            long n = i / ((long)spatial * channels);
            float v = chunk[o * cols + n * spatial + l];
            y[i] = hasBias != 0 ? v + bias[o] : v;
        }
    }

    [Kernel]
    internal static void NchwToChunkKernel(ArrayView<float> y, ArrayView<float> chunk, int nb, int channels, int spatial)
    {
        long cols = (long)nb * spatial;
        foreach (long i in GridStride.Over(chunk.Length))
        {
            long o = i / cols;
            long rest = i - o * cols;
            long n = rest / spatial;
            long l = rest - n * spatial;
            chunk[i] = y[(n * channels + o) * spatial + l];
        }
    }
}
