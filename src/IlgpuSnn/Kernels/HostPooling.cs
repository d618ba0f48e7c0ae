using ILGPU;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of average pooling and its backward (<see cref="Pooling"/>): each worker takes a
/// contiguous share of whole planes and reads them through host pointers, with the portable kernels' arithmetic and
/// summation order (so the results are identical). GPUs and the tests that switch host kernels off run the portable
/// kernels.
/// </summary>
internal static class HostPooling
{
    /// <summary>Average pooling (backward = 1) over <paramref name="planes"/> planes of height x width.</summary>
    public static void Average(Device device, ArrayView<float> source, ArrayView<float> target, long planes, int backward,
        int height, int width, int outHeight, int outWidth, int kernel, int step)
    {
        device.Kernels.Load<long, long, long, int, int, int, int, int, int, int>(AverageKernel)(
            device.Launch.GridStride(planes), HostMemory.Address(source), HostMemory.Address(target), planes, backward,
            height, width, outHeight, outWidth, kernel, step);
    }

    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the portable pooling kernels.")]
    internal static unsafe void AverageKernel(long source, long target, long planes, int backward,
        int height, int width, int outHeight, int outWidth, int kernel, int step)
    {
        var (start, end) = GridStride.Chunk(planes);
        long planeIn = (long)height * width, planeOut = (long)outHeight * outWidth;
        float invArea = 1f / (kernel * kernel);
        for (long p = start; p < end; p++)
        {
            if (kernel == 2 && step == 2)
            {
                // The usual 2x2 window at stride 2 unrolled, in the general path's summation order.
                if (backward == 0)
                {
                    float* x = (float*)source + p * planeIn;
                    float* y = (float*)target + p * planeOut;
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        float* r0 = x + 2L * oh * width, r1 = r0 + width, yr = y + (long)oh * outWidth;
                        for (int ow = 0; ow < outWidth; ow++)
                            yr[ow] = (0f + r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) * invArea;
                    }
                }
                else
                {
                    // Every input position lies in at most one window; those past the last window get zero.
                    float* gy = (float*)source + p * planeOut;
                    float* gx = (float*)target + p * planeIn;
                    for (int h = 0; h < height; h++)
                    {
                        float* gr = gx + (long)h * width;
                        int oh = h / 2;
                        if (oh >= outHeight)
                        {
                            for (int w = 0; w < width; w++) gr[w] = 0f;
                            continue;
                        }
                        float* gyr = gy + (long)oh * outWidth;
                        for (int w = 0; w < 2 * outWidth; w++) gr[w] = (0f + gyr[w / 2]) * invArea;
                        for (int w = 2 * outWidth; w < width; w++) gr[w] = 0f;
                    }
                }
            }
            else if (backward == 0)
            {
                float* x = (float*)source + p * planeIn;
                float* y = (float*)target + p * planeOut;
                for (int oh = 0; oh < outHeight; oh++)
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        float* b = x + (long)oh * step * width + (long)ow * step;
                        float s = 0f;
                        for (int kh = 0; kh < kernel; kh++)
                            for (int kw = 0; kw < kernel; kw++)
                                s += b[(long)kh * width + kw];
                        y[(long)oh * outWidth + ow] = s * invArea;
                    }
            }
            else
            {
                float* gy = (float*)source + p * planeOut;
                float* gx = (float*)target + p * planeIn;
                for (int h = 0; h < height; h++)
                {
                    int oh0 = h < kernel ? 0 : (h - kernel) / step + 1, oh1 = Math.Min(h / step, outHeight - 1);
                    for (int w = 0; w < width; w++)
                    {
                        int ow0 = w < kernel ? 0 : (w - kernel) / step + 1, ow1 = Math.Min(w / step, outWidth - 1);
                        float s = 0f;
                        for (int oh = oh0; oh <= oh1; oh++)
                            for (int ow = ow0; ow <= ow1; ow++)
                                s += gy[(long)oh * outWidth + ow];
                        gx[(long)h * width + w] = s * invArea;
                    }
                }
            }
        }
    }
}
