using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// 2-D average and max pooling without padding on planes of [N, C, H, W] tensors (any number of planes N·C).
/// Backward passes gather (one work item per input element, looping over the windows that contain it), so
/// overlapping windows need no atomics and results are deterministic.
/// </summary>
public static class Pooling
{
    /// <summary>Output extent of a pooling window: floor((size - kernel) / stride) + 1.</summary>
    public static int OutputSize(int size, int kernel, int stride) => (size - kernel) / stride + 1;

    /// <summary>y = mean of each kernel×kernel window of x (x: planes of H×W, y: planes of Ho×Wo).</summary>
    public static void AvgPool2d(Device device, ArrayView<float> x, ArrayView<float> y, int height, int width, int kernel, int stride)
    {
        var g = Geometry.Create("AvgPool2d", x.Length, y.Length, height, width, kernel, stride);
        ArgumentNullException.ThrowIfNull(device);
        if (y.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, Geometry>(AvgPoolKernel)(device.Launch.GridStride(y.Length), x, y, g);
    }

    /// <summary>gx = backward of <see cref="AvgPool2d"/> for the output gradient gy.</summary>
    public static void AvgPool2dBackward(Device device, ArrayView<float> gy, ArrayView<float> gx, int height, int width, int kernel, int stride)
    {
        var g = Geometry.Create("AvgPool2d backward", gx.Length, gy.Length, height, width, kernel, stride);
        ArgumentNullException.ThrowIfNull(device);
        if (gx.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, Geometry>(AvgPoolBackwardKernel)(device.Launch.GridStride(gx.Length), gy, gx, g);
    }

    /// <summary>
    /// y = max of each window of x; <paramref name="index"/> receives the position (h·W + w within the plane) of the
    /// first maximum of each window.
    /// </summary>
    public static void MaxPool2d(Device device, ArrayView<float> x, ArrayView<float> y, ArrayView<int> index, int height, int width, int kernel, int stride)
    {
        var g = Geometry.Create("MaxPool2d", x.Length, y.Length, height, width, kernel, stride);
        ArgumentNullException.ThrowIfNull(device);
        if (index.Length != y.Length) throw new ArgumentException($"MaxPool2d: {index.Length} indices for {y.Length} outputs.");
        if (y.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<int>, Geometry>(MaxPoolKernel)(device.Launch.GridStride(y.Length), x, y, index, g);
    }

    /// <summary>gx = backward of <see cref="MaxPool2d"/>: each window's gradient goes to its recorded first maximum.</summary>
    public static void MaxPool2dBackward(Device device, ArrayView<float> gy, ArrayView<int> index, ArrayView<float> gx, int height, int width, int kernel, int stride)
    {
        var g = Geometry.Create("MaxPool2d backward", gx.Length, gy.Length, height, width, kernel, stride);
        ArgumentNullException.ThrowIfNull(device);
        if (index.Length != gy.Length) throw new ArgumentException($"MaxPool2d backward: {index.Length} indices for {gy.Length} outputs.");
        if (gx.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, Geometry>(MaxPoolBackwardKernel)(device.Launch.GridStride(gx.Length), gy, index, gx, g);
    }

    /// <summary>Pooling geometry passed to the kernels.</summary>
    internal struct Geometry
    {
        public int H;
        public int W;
        public int OutH;
        public int OutW;
        public int Kernel;
        public int Stride;
        public float InvArea;

        public static Geometry Create(string operation, long inputLength, long outputLength, int height, int width, int kernel, int stride)
        {
            if (kernel <= 0 || stride <= 0 || height < kernel || width < kernel)
                throw new ArgumentException($"{operation}: kernel {kernel} and stride {stride} do not fit planes of {height}x{width}.");
            var g = new Geometry
            {
                H = height,
                W = width,
                OutH = OutputSize(height, kernel, stride),
                OutW = OutputSize(width, kernel, stride),
                Kernel = kernel,
                Stride = stride,
                InvArea = 1f / (kernel * kernel),
            };
            long planeIn = (long)height * width, planeOut = (long)g.OutH * g.OutW;
            if (inputLength % planeIn != 0 || outputLength != inputLength / planeIn * planeOut)
                throw new ArgumentException($"{operation}: {inputLength} inputs and {outputLength} outputs do not match planes of {height}x{width} pooled to {g.OutH}x{g.OutW}.");
            return g;
        }

        /// <summary>First output index whose window contains input position <paramref name="p"/> (may exceed the last).</summary>
        public readonly int FirstWindow(int p) => p < Kernel ? 0 : (p - Kernel) / Stride + 1;
    }

    [Kernel]
    internal static void AvgPoolKernel(ArrayView<float> x, ArrayView<float> y, Geometry g)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        long planeOut = (long)g.OutH * g.OutW;
        long planeIn = (long)g.H * g.W;
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += stride)
        {
            long plane = i / planeOut;
            int r = (int)(i - plane * planeOut);
            int oh = r / g.OutW;
            int ow = r - oh * g.OutW;
            long b = plane * planeIn + (long)oh * g.Stride * g.W + (long)ow * g.Stride;
            float s = 0f;
            for (int kh = 0; kh < g.Kernel; kh++)
                for (int kw = 0; kw < g.Kernel; kw++)
                    s += x[b + (long)kh * g.W + kw];
            y[i] = s * g.InvArea;
        }
    }

    [Kernel]
    internal static void AvgPoolBackwardKernel(ArrayView<float> gy, ArrayView<float> gx, Geometry g)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        long planeOut = (long)g.OutH * g.OutW;
        long planeIn = (long)g.H * g.W;
        for (long i = Grid.GlobalIndex.X; i < gx.Length; i += stride)
        {
            long plane = i / planeIn;
            int r = (int)(i - plane * planeIn);
            int h = r / g.W;
            int w = r - h * g.W;
            int ohEnd = h / g.Stride;
            if (ohEnd > g.OutH - 1) ohEnd = g.OutH - 1;
            int owEnd = w / g.Stride;
            if (owEnd > g.OutW - 1) owEnd = g.OutW - 1;
            long b = plane * planeOut;
            float s = 0f;
            for (int oh = g.FirstWindow(h); oh <= ohEnd; oh++)
                for (int ow = g.FirstWindow(w); ow <= owEnd; ow++)
                    s += gy[b + (long)oh * g.OutW + ow];
            gx[i] = s * g.InvArea;
        }
    }

    [Kernel]
    internal static void MaxPoolKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<int> index, Geometry g)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        long planeOut = (long)g.OutH * g.OutW;
        long planeIn = (long)g.H * g.W;
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += stride)
        {
            long plane = i / planeOut;
            int r = (int)(i - plane * planeOut);
            int oh = r / g.OutW;
            int ow = r - oh * g.OutW;
            int h0 = oh * g.Stride, w0 = ow * g.Stride;
            long b = plane * planeIn;
            int at = h0 * g.W + w0;
            float best = x[b + at];
            for (int kh = 0; kh < g.Kernel; kh++)
            {
                for (int kw = 0; kw < g.Kernel; kw++)
                {
                    int p = (h0 + kh) * g.W + w0 + kw;
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
    internal static void MaxPoolBackwardKernel(ArrayView<float> gy, ArrayView<int> index, ArrayView<float> gx, Geometry g)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        long planeOut = (long)g.OutH * g.OutW;
        long planeIn = (long)g.H * g.W;
        for (long i = Grid.GlobalIndex.X; i < gx.Length; i += stride)
        {
            long plane = i / planeIn;
            int r = (int)(i - plane * planeIn);
            int h = r / g.W;
            int w = r - h * g.W;
            int ohEnd = h / g.Stride;
            if (ohEnd > g.OutH - 1) ohEnd = g.OutH - 1;
            int owEnd = w / g.Stride;
            if (owEnd > g.OutW - 1) owEnd = g.OutW - 1;
            long b = plane * planeOut;
            float s = 0f;
            for (int oh = g.FirstWindow(h); oh <= ohEnd; oh++)
            {
                for (int ow = g.FirstWindow(w); ow <= owEnd; ow++)
                {
                    long o = b + (long)oh * g.OutW + ow;
                    if (index[o] == r) s += gy[o];
                }
            }
            gx[i] = s;
        }
    }
}
