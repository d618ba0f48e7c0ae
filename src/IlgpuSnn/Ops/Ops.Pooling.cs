using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Average pooling of x [N, C, H, W] with a square <paramref name="kernel"/> and <paramref name="stride"/>, no
    /// padding: output [N, C, (H−k)/s + 1, (W−k)/s + 1]. Differentiable; keeps nothing for its backward.
    /// </summary>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="kernel">Window size (square).</param>
    /// <param name="stride">Step between windows.</param>
    /// <returns>The window means, [N, C, (H−k)/s + 1, (W−k)/s + 1].</returns>
    public static Tensor AvgPool2d(Tensor x, int kernel, int stride)
    {
        const string name = "AvgPool2d";
        var device = Check.SameDevice(name, x);
        var shape = PoolShape(name, x, kernel, stride);
        int h = x.Dim(2), w = x.Dim(3);
        var y = Tensor.Empty(device, shape);
        Pooling.AvgPool2d(device, x.View, y.View, h, w, kernel, stride);
        if (Tape.Begin(name, x) is not { } entry) return y;
        var xShape = x.ShapeArray();
        entry.Complete(y, g =>
        {
            var gx = Tensor.Empty(device, xShape);
            Pooling.AvgPool2dBackward(device, g[0]!.View, gx.View, h, w, kernel, stride);
            return [gx];
        });
        return y;
    }

    /// <summary>
    /// Max pooling of x [N, C, H, W] with a square <paramref name="kernel"/> and <paramref name="stride"/>, no
    /// padding: output [N, C, (H−k)/s + 1, (W−k)/s + 1]. Differentiable: each window's gradient goes to its first
    /// maximum; keeps only the argmax positions (one int per output) for its backward.
    /// </summary>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="kernel">Window size (square).</param>
    /// <param name="stride">Step between windows.</param>
    /// <returns>The window maxima, [N, C, (H−k)/s + 1, (W−k)/s + 1].</returns>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride)
    {
        const string name = "MaxPool2d";
        var device = Check.SameDevice(name, x);
        var shape = PoolShape(name, x, kernel, stride);
        int h = x.Dim(2), w = x.Dim(3);
        var y = Tensor.Empty(device, shape);
        var index = Tensor.Empty(device, shape);
        Pooling.MaxPool2d(device, x.View, y.View, index.View.Cast<int>(), h, w, kernel, stride);
        if (Tape.Begin(name, x) is not { } entry)
        {
            index.Dispose();
            return y;
        }
        var saved = entry.Keep(index);
        index.Dispose();
        var xShape = x.ShapeArray();
        entry.Complete(y, g =>
        {
            var gx = Tensor.Empty(device, xShape);
            Pooling.MaxPool2dBackward(device, g[0]!.View, saved.View.Cast<int>(), gx.View, h, w, kernel, stride);
            return [gx];
        });
        return y;
    }

    private static int[] PoolShape(string name, Tensor x, int kernel, int stride)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"{name}: input must be [N, C, H, W], got shape {Tensor.Format(x.Shape)}.", nameof(x));
        if (kernel <= 0 || stride <= 0)
            throw new ArgumentException($"{name}: kernel {kernel} and stride {stride} must be positive (input {Tensor.Format(x.Shape)}).");
        if (x.Dim(2) < kernel || x.Dim(3) < kernel)
            throw new ArgumentException($"{name}: kernel {kernel} is larger than the {x.Dim(2)}x{x.Dim(3)} planes of input {Tensor.Format(x.Shape)}.");
        return [x.Dim(0), x.Dim(1), Pooling.OutputSize(x.Dim(2), kernel, stride), Pooling.OutputSize(x.Dim(3), kernel, stride)];
    }
}
