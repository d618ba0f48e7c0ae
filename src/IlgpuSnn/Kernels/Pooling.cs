using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// 2-D average and max pooling without padding on planes of [N, C, H, W] tensors (any number of planes N·C).
/// Backward passes gather (one work item per input element, looping over the windows that contain it), so
/// overlapping windows need no atomics and results are deterministic.
/// </summary>
internal static class Pooling
{
    /// <summary>Output extent of a pooling window: floor((size - kernel) / stride) + 1.</summary>
    public static int OutputSize(int size, int kernel, int stride) => (size - kernel) / stride + 1;

    /// <summary>y = mean of each kernel×kernel window of x (x: planes of H×W, y: planes of Ho×Wo).</summary>
    public static void AvgPool2d(Device device, ArrayView<float> x, ArrayView<float> y, int height, int width, int kernel, int stride)
    {
        var (outH, outW) = Validate("AvgPool2d", x.Length, y.Length, height, width, kernel, stride);
        ArgumentNullException.ThrowIfNull(device);
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostPooling.Average(device, x, y, x.Length / ((long)height * width), 0, height, width, outH, outW, kernel, stride);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, float>(AvgPoolKernel)(device.Launch.GridStride(y.Length), x, y, height, width, outH, outW, kernel, stride, 1f / (kernel * kernel));
    }

    /// <summary>gx = backward of <see cref="AvgPool2d"/> for the output gradient gy.</summary>
    public static void AvgPool2dBackward(Device device, ArrayView<float> gy, ArrayView<float> gx, int height, int width, int kernel, int stride)
    {
        var (outH, outW) = Validate("AvgPool2d backward", gx.Length, gy.Length, height, width, kernel, stride);
        ArgumentNullException.ThrowIfNull(device);
        if (gx.Length == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostPooling.Average(device, gy, gx, gx.Length / ((long)height * width), 1, height, width, outH, outW, kernel, stride);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, float>(AvgPoolBackwardKernel)(device.Launch.GridStride(gx.Length), gy, gx, height, width, outH, outW, kernel, stride, 1f / (kernel * kernel));
    }

    /// <summary>
    /// y = max of each window of x; <paramref name="index"/> receives the position (h·W + w within the plane) of the
    /// first maximum of each window.
    /// </summary>
    public static void MaxPool2d(Device device, ArrayView<float> x, ArrayView<float> y, ArrayView<int> index, int height, int width, int kernel, int stride)
    {
        var (outH, outW) = Validate("MaxPool2d", x.Length, y.Length, height, width, kernel, stride);
        ArgumentNullException.ThrowIfNull(device);
        if (index.Length != y.Length) throw new ArgumentException($"MaxPool2d: {index.Length} indices for {y.Length} outputs.");
        if (y.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, int>(MaxPoolKernel)(device.Launch.GridStride(y.Length), x, y, index, height, width, outH, outW, kernel, stride);
    }

    /// <summary>gx = backward of <see cref="MaxPool2d"/>: each window's gradient goes to its recorded first maximum.</summary>
    public static void MaxPool2dBackward(Device device, ArrayView<float> gy, ArrayView<int> index, ArrayView<float> gx, int height, int width, int kernel, int stride)
    {
        var (outH, outW) = Validate("MaxPool2d backward", gx.Length, gy.Length, height, width, kernel, stride);
        ArgumentNullException.ThrowIfNull(device);
        if (index.Length != gy.Length) throw new ArgumentException($"MaxPool2d backward: {index.Length} indices for {gy.Length} outputs.");
        if (gx.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, int, int>(MaxPoolBackwardKernel)(device.Launch.GridStride(gx.Length), gy, index, gx, height, width, outH, outW, kernel, stride);
    }

    /// <summary>Checks the geometry and returns the output plane size.</summary>
    private static (int OutH, int OutW) Validate(string operation, long inputLength, long outputLength, int height, int width, int kernel, int stride)
    {
        if (kernel <= 0 || stride <= 0 || height < kernel || width < kernel)
            throw new ArgumentException($"{operation}: kernel {kernel} and stride {stride} do not fit planes of {height}x{width}.");
        int outH = OutputSize(height, kernel, stride), outW = OutputSize(width, kernel, stride);
        long planeIn = (long)height * width, planeOut = (long)outH * outW;
        if (inputLength % planeIn != 0 || outputLength != inputLength / planeIn * planeOut)
            throw new ArgumentException($"{operation}: {inputLength} inputs and {outputLength} outputs do not match planes of {height}x{width} pooled to {outH}x{outW}.");
        return (outH, outW);
    }

    /// <summary>First output index whose window contains input position <paramref name="p"/> (may exceed the last).</summary>
    private static int FirstWindow(int p, int kernel, int step) => p < kernel ? 0 : (p - kernel) / step + 1;

    /// <summary>Last output index whose window can contain input position <paramref name="p"/>.</summary>
    private static int LastWindow(int p, int step, int outSize)
    {
        int last = p / step;
        return last < outSize ? last : outSize - 1;
    }

    [Kernel]
    internal static void AvgPoolKernel(ArrayView<float> x, ArrayView<float> y, int height, int width, int outHeight, int outWidth, int kernel, int step, float invArea)
    {
        long planeOut = (long)outHeight * outWidth;
        long planeIn = (long)height * width;
        foreach (long i in GridStride.Over(y.Length))
        {
            long plane = i / planeOut;
            int r = (int)(i - plane * planeOut);
            int oh = r / outWidth;
            int ow = r - oh * outWidth;
            long b = plane * planeIn + (long)oh * step * width + (long)ow * step;
            float s = 0f;
            for (int kh = 0; kh < kernel; kh++)
                for (int kw = 0; kw < kernel; kw++)
                    s += x[b + (long)kh * width + kw];
            y[i] = s * invArea;
        }
    }

    [Kernel]
    internal static void AvgPoolBackwardKernel(ArrayView<float> gy, ArrayView<float> gx, int height, int width, int outHeight, int outWidth, int kernel, int step, float invArea)
    {
        long planeOut = (long)outHeight * outWidth;
        long planeIn = (long)height * width;
        foreach (long i in GridStride.Over(gx.Length))
        {
            long plane = i / planeIn;
            int r = (int)(i - plane * planeIn);
            int h = r / width;
            int w = r - h * width;
            int ohEnd = LastWindow(h, step, outHeight);
            int owEnd = LastWindow(w, step, outWidth);
            long b = plane * planeOut;
            float s = 0f;
            for (int oh = FirstWindow(h, kernel, step); oh <= ohEnd; oh++)
                for (int ow = FirstWindow(w, kernel, step); ow <= owEnd; ow++)
                    s += gy[b + (long)oh * outWidth + ow];
            gx[i] = s * invArea;
        }
    }

    [Kernel]
    internal static void MaxPoolKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<int> index, int height, int width, int outHeight, int outWidth, int kernel, int step)
    {
        long planeOut = (long)outHeight * outWidth;
        long planeIn = (long)height * width;
        foreach (long i in GridStride.Over(y.Length))
        {
            long plane = i / planeOut;
            int r = (int)(i - plane * planeOut);
            int oh = r / outWidth;
            int ow = r - oh * outWidth;
            int h0 = oh * step, w0 = ow * step;
            long b = plane * planeIn;
            int at = h0 * width + w0;
            float best = x[b + at];
            for (int kh = 0; kh < kernel; kh++)
            {
                for (int kw = 0; kw < kernel; kw++)
                {
                    int p = (h0 + kh) * width + w0 + kw;
                    float v = x[b + p];
                    if (v > best)
                    {
                        best = v;
                        at = p;
                    }
                }
            }
            y[i] = best;
            index[i] = at;
        }
    }

    [Kernel]
    internal static void MaxPoolBackwardKernel(ArrayView<float> gy, ArrayView<int> index, ArrayView<float> gx, int height, int width, int outHeight, int outWidth, int kernel, int step)
    {
        long planeOut = (long)outHeight * outWidth;
        long planeIn = (long)height * width;
        foreach (long i in GridStride.Over(gx.Length))
        {
            long plane = i / planeIn;
            int r = (int)(i - plane * planeIn);
            int h = r / width;
            int w = r - h * width;
            int ohEnd = LastWindow(h, step, outHeight);
            int owEnd = LastWindow(w, step, outWidth);
            long b = plane * planeOut;
            float s = 0f;
            for (int oh = FirstWindow(h, kernel, step); oh <= ohEnd; oh++)
            {
                for (int ow = FirstWindow(w, kernel, step); ow <= owEnd; ow++)
                {
                    long o = b + (long)oh * outWidth + ow;
                    if (index[o] == r) s += gy[o];
                }
            }
            gx[i] = s;
        }
    }
}
