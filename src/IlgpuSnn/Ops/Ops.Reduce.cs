using System.Runtime.InteropServices;
using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>The sum of all elements, as a tensor of shape [1] (differentiable).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The sum of all elements, as a [1] tensor.</returns>
    public static Tensor Sum(Tensor x) => ReduceAll("Sum", x, mean: false);

    /// <summary>The mean of all elements, as a tensor of shape [1] (differentiable; an empty tensor gives NaN).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The mean of all elements, as a [1] tensor (NaN when empty).</returns>
    public static Tensor Mean(Tensor x) => ReduceAll("Mean", x, mean: true);

    /// <summary>
    /// Sums over dimension <paramref name="axis"/> (negative counts from the end) and removes it; a rank-1 input
    /// gives shape [1]. Differentiable.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="axis">The axis to sum over; negative counts from the end.</param>
    /// <returns>The sums, shaped like <paramref name="x"/> without <paramref name="axis"/> ([1] for a rank-1 input).</returns>
    public static Tensor SumAxis(Tensor x, int axis) => ReduceAxis("SumAxis", x, axis, mean: false);

    /// <summary>
    /// Averages over dimension <paramref name="axis"/> (negative counts from the end) and removes it; a rank-1 input
    /// gives shape [1]. Differentiable.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="axis">The axis to average over; negative counts from the end.</param>
    /// <returns>The means, shaped like <paramref name="x"/> without <paramref name="axis"/> ([1] for a rank-1 input).</returns>
    public static Tensor MeanAxis(Tensor x, int axis) => ReduceAxis("MeanAxis", x, axis, mean: true);

    /// <summary>
    /// The index of the first maximum of every row of the last axis, on the host (one entry per row, rows in
    /// row-major order). Not differentiable.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <returns>For every row of the last axis, the index of its first maximum (on the host).</returns>
    public static int[] ArgmaxLastAxis(Tensor x)
    {
        const string name = "ArgmaxLastAxis";
        var device = Check.SameDevice(name, x);
        var (rows, k) = LastAxisRows(name, x);
        using var max = Tensor.Empty(device, rows);
        using var index = Tensor.Empty(device, rows);
        Reduce.MaxLastAxis(device, x.View, max.View, index.View.Cast<int>(), k);
        var bits = index.ToArray();
        return MemoryMarshal.Cast<float, int>(bits).ToArray();
    }

    /// <summary>
    /// The maximum of every row of the last axis, shaped like <paramref name="x"/> without its last axis ([1] for a
    /// rank-1 input). Differentiable: the gradient goes to the first maximum of each row.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <returns>The row maxima.</returns>
    public static Tensor MaxLastAxis(Tensor x)
    {
        const string name = "MaxLastAxis";
        var device = Check.SameDevice(name, x);
        var (rows, k) = LastAxisRows(name, x);
        var shape = x.Rank == 1 ? [1] : x.ShapeArray()[..^1];
        var y = Tensor.Empty(device, shape);
        var entry = Tape.Begin(name, x);
        var index = Tensor.Empty(device, rows);
        Reduce.MaxLastAxis(device, x.View, y.View, index.View.Cast<int>(), k);
        if (entry is null)
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
            Reduce.MaxLastAxisBackward(device, g[0]!.View, saved.View.Cast<int>(), gx.View, k);
            return [gx];
        });
        return y;
    }

    private static (int Rows, int RowLength) LastAxisRows(string name, Tensor x)
    {
        if (x.Rank == 0 || x.Dim(-1) == 0)
            throw new ArgumentException($"{name}: input of shape {Tensor.Format(x.Shape)} has no elements on its last axis.");
        int k = x.Dim(-1);
        return (checked((int)(x.Length / k)), k);
    }

    private static Tensor ReduceAll(string name, Tensor x, bool mean)
    {
        var device = Check.SameDevice(name, x);
        int n = checked((int)x.Length);
        float scale = mean ? 1f / n : 1f;
        var y = Tensor.Empty(device, 1);
        if (n == 0) Elementwise.Fill(device, y.View, mean ? float.NaN : 0f);
        else Reduce.SumAxis(device, x.View, y.View, n, 1, scale);
        if (Tape.Begin(name, x) is not { } entry) return y;
        var xShape = x.ShapeArray();
        entry.Complete(y, g =>
        {
            var gx = Tensor.Empty(device, xShape);
            Reduce.BroadcastAxis(device, g[0]!.View, gx.View, n, 1, scale);
            return [gx];
        });
        return y;
    }

    private static Tensor ReduceAxis(string name, Tensor x, int axis, bool mean)
    {
        var device = Check.SameDevice(name, x);
        int a = axis < 0 ? axis + x.Rank : axis;
        if (a < 0 || a >= x.Rank)
            throw new ArgumentException($"{name}: axis {axis} is out of range for shape {Tensor.Format(x.Shape)}.", nameof(axis));
        var xShape = x.ShapeArray();
        int extent = xShape[a];
        int inner = 1;
        for (int i = a + 1; i < xShape.Length; i++) inner = checked(inner * xShape[i]);
        var shape = xShape.Length == 1 ? [1] : xShape.Where((_, i) => i != a).ToArray();
        float scale = mean ? 1f / extent : 1f;
        var y = Tensor.Empty(device, shape);
        if (extent == 0) Elementwise.Fill(device, y.View, mean ? float.NaN : 0f);
        else if (inner > 0) Reduce.SumAxis(device, x.View, y.View, extent, inner, scale);
        if (Tape.Begin(name, x) is not { } entry) return y;
        entry.Complete(y, g =>
        {
            var gx = Tensor.Empty(device, xShape);
            if (inner > 0) Reduce.BroadcastAxis(device, g[0]!.View, gx.View, extent, inner, scale);
            return [gx];
        });
        return y;
    }
}
