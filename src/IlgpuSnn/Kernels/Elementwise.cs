using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Element-wise kernels (grid-stride loops) and their launchers. The launchers take views so that both tensors and
/// sub-views can be used; the grid comes from the device's <see cref="LaunchPlan"/>.
/// </summary>
internal static class Elementwise
{
    /// <summary>Sets every element of <paramref name="y"/> to <paramref name="value"/>.</summary>
    public static void Fill(Device device, ArrayView<float> y, float value)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels) { HostElementwise.Run(device, HostElementwise.Fill, default, default, y, default, 0, value, 0f); return; }
        device.Kernels.Load<ArrayView<float>, float>(FillKernel)(device.Launch.GridStride(y.Length), y, value);
    }

    /// <summary>Copies <paramref name="x"/> into <paramref name="y"/> (same length).</summary>
    public static void Copy(Device device, ArrayView<float> x, ArrayView<float> y)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireSameLength("Copy", x, y);
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels) { HostElementwise.Run(device, HostElementwise.Copy, x, default, y, default, 0, 0f, 0f); return; }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>>(CopyKernel)(device.Launch.GridStride(y.Length), x, y);
    }

    /// <summary>y = a op b, element by element.</summary>
    public static void Binary(Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, BinaryOp op)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireSameLength(op.ToString(), a, b);
        RequireSameLength(op.ToString(), a, y);
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels) { HostElementwise.Run(device, HostElementwise.Binary, a, b, y, default, (int)op, 0f, 0f); return; }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(BinaryKernel)(
            device.Launch.GridStride(y.Length), a, b, y, (int)op);
    }

    /// <summary>y = op(x; p), element by element.</summary>
    public static void Unary(Device device, ArrayView<float> x, ArrayView<float> y, UnaryOp op, float p = 0f)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireSameLength(op.ToString(), x, y);
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels) { HostElementwise.Run(device, HostElementwise.Unary, x, default, y, default, (int)op, p, 0f); return; }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, float>(UnaryKernel)(
            device.Launch.GridStride(y.Length), x, y, (int)op, p);
    }

    /// <summary>gx = g * d op(x; p)/dx, given x and y = op(x; p).</summary>
    public static void UnaryBackward(Device device, ArrayView<float> x, ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, UnaryOp op, float p = 0f)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireSameLength(op + " backward", x, g);
        RequireSameLength(op + " backward", x, gx);
        RequireSameLength(op + " backward", x, y);
        if (gx.Length == 0) return;
        if (device.Launch.UseHostKernels) { HostElementwise.Run(device, HostElementwise.UnaryBackward, x, y, gx, g, (int)op, p, 0f); return; }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(UnaryBackwardKernel)(
            device.Launch.GridStride(gx.Length), x, y, g, gx, (int)op, p);
    }

    /// <summary>y = alpha * x + beta * y.</summary>
    public static void Axpby(Device device, float alpha, ArrayView<float> x, float beta, ArrayView<float> y)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireSameLength("Axpby", x, y);
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels) { HostElementwise.Run(device, HostElementwise.Axpby, x, default, y, default, 0, alpha, beta); return; }
        device.Kernels.Load<float, ArrayView<float>, float, ArrayView<float>>(AxpbyKernel)(
            device.Launch.GridStride(y.Length), alpha, x, beta, y);
    }

    /// <summary>y = alpha * x + beta * z, element by element (the out-of-place form of <see cref="Axpby"/> with z as y).</summary>
    public static void Combine(Device device, float alpha, ArrayView<float> x, float beta, ArrayView<float> z, ArrayView<float> y)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireSameLength("Combine", x, y);
        RequireSameLength("Combine", z, y);
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels) { HostElementwise.Run(device, HostElementwise.Combine, x, z, y, default, 0, alpha, beta); return; }
        device.Kernels.Load<float, ArrayView<float>, float, ArrayView<float>, ArrayView<float>>(CombineKernel)(
            device.Launch.GridStride(y.Length), alpha, x, beta, z, y);
    }

    /// <summary>
    /// y[r, c] = alpha·a[r, c] + bias[c] + beta·b[r, c] over rows of <paramref name="columns"/> (bias and b optional):
    /// a read-out's bias and the term of a previous step added to a product in one pass.
    /// </summary>
    public static void ScaleAddBias(Device device, float alpha, ArrayView<float> a, ArrayView<float>? bias, float beta, ArrayView<float>? b,
        ArrayView<float> y, int columns)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireSameLength("ScaleAddBias", a, y);
        if (b is { } previous) RequireSameLength("ScaleAddBias", previous, y);
        if (columns <= 0 || y.Length % columns != 0 || (bias is { } c && c.Length != columns))
            throw new ArgumentException($"ScaleAddBias: {y.Length} elements are not rows of {columns} columns with a bias of {bias?.Length ?? columns}.");
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostElementwise.Run(device, HostElementwise.ScaleAddBias, a, b ?? default, y, bias ?? default, columns, alpha, beta);
            return;
        }
        int flags = (bias.HasValue ? 1 : 0) | (b.HasValue ? 2 : 0);
        device.Kernels.Load<float, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, int, int>(ScaleAddBiasKernel)(
            device.Launch.GridStride(y.Length), alpha, a, bias ?? a, beta, b ?? a, y, columns, flags);
    }

    /// <summary>
    /// y = Σ_s x[s] over the <paramref name="count"/> consecutive slices of x, each as long as y, added one after the other
    /// in slice order (the order a loop of <see cref="AddInPlace"/> calls would add them in) onto y itself when
    /// <paramref name="accumulate"/>, else starting from the first slice.
    /// </summary>
    public static void SumSlices(Device device, ArrayView<float> x, ArrayView<float> y, int count, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireSlices("SumSlices", x, y, count);
        if (y.Length == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostElementwise.Run(device, HostElementwise.SumSlices, x, default, y, default, count, accumulate ? 1f : 0f, 0f);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int>(SumSlicesKernel)(device.Launch.GridStride(y.Length), x, y, count, accumulate ? 1 : 0);
    }

    /// <summary>
    /// y_j = (replace_j ? 0 : y_j) + Σ_s x_j[s] for every pair (the same values as <see cref="SumSlices"/> per pair, so
    /// as <see cref="Copy"/> or <see cref="AddInPlace"/> for one slice): one launch on the CPU accelerator, one per pair
    /// elsewhere. The pairs' targets must not overlap.
    /// </summary>
    public static void AddPairs(Device device, ReadOnlySpan<ElementwisePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Launch.UseHostKernels)
        {
            HostElementwise.AddPairs(device, pairs);
            return;
        }
        foreach (var (y, x, replace, slices) in pairs) SumSlices(device, x, y, slices, accumulate: !replace);
    }

    /// <summary>y += x.</summary>
    public static void AddInPlace(Device device, ArrayView<float> y, ArrayView<float> x) => Axpby(device, 1f, x, 1f, y);

    internal static void RequireSlices(string operation, ArrayView<float> x, ArrayView<float> y, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (x.Length != y.Length * count)
            throw new ArgumentException($"{operation}: {x.Length} elements are not {count} slices of {y.Length}.");
    }

    internal static void RequireSameLength(string operation, ArrayView<float> a, ArrayView<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"{operation}: operands have {a.Length} and {b.Length} elements.");
    }

    [Kernel]
    internal static void FillKernel(ArrayView<float> y, float value)
    {
        foreach (long i in GridStride.Over(y.Length)) y[i] = value;
    }

    [Kernel]
    internal static void CopyKernel(ArrayView<float> x, ArrayView<float> y)
    {
        foreach (long i in GridStride.Over(y.Length)) y[i] = x[i];
    }

    [Kernel]
    internal static void AxpbyKernel(float alpha, ArrayView<float> x, float beta, ArrayView<float> y)
    {
        foreach (long i in GridStride.Over(y.Length)) y[i] = alpha * x[i] + beta * y[i];
    }

    [Kernel]
    internal static void CombineKernel(float alpha, ArrayView<float> x, float beta, ArrayView<float> z, ArrayView<float> y)
    {
        foreach (long i in GridStride.Over(y.Length)) y[i] = alpha * x[i] + beta * z[i];
    }

    [Kernel]
    internal static void ScaleAddBiasKernel(float alpha, ArrayView<float> a, ArrayView<float> bias, float beta, ArrayView<float> b, ArrayView<float> y,
        int columns, int flags)
    {
        foreach (long i in GridStride.Over(y.Length))
        {
            float v = alpha * a[i];
            if ((flags & 1) != 0) v += bias[i % columns];
            if ((flags & 2) != 0) v += beta * b[i];
            y[i] = v;
        }
    }

    [Kernel]
    internal static void SumSlicesKernel(ArrayView<float> x, ArrayView<float> y, int count, int accumulate)
    {
        long n = y.Length;
        foreach (long i in GridStride.Over(n))
        {
            float sum = accumulate != 0 ? y[i] + x[i] : x[i];
            for (int s = 1; s < count; s++) sum += x[(s * n) + i];
            y[i] = sum;
        }
    }

    [Kernel]
    internal static void BinaryKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int op)
    {
        foreach (long i in GridStride.Over(y.Length)) y[i] = ApplyBinary(op, a[i], b[i]);
    }

    [Kernel]
    internal static void UnaryKernel(ArrayView<float> x, ArrayView<float> y, int op, float p)
    {
        foreach (long i in GridStride.Over(y.Length)) y[i] = ApplyUnary(op, x[i], p);
    }

    [Kernel]
    internal static void UnaryBackwardKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, int op, float p)
    {
        foreach (long i in GridStride.Over(gx.Length)) gx[i] = g[i] * UnaryDerivative(op, x[i], y[i], p);
    }

    internal static float ApplyBinary(int op, float a, float b)
    {
        if (op == (int)BinaryOp.Add) return a + b;
        if (op == (int)BinaryOp.Subtract) return a - b;
        if (op == (int)BinaryOp.Multiply) return a * b;
        if (op == (int)BinaryOp.Divide) return a / b;
        if (op == (int)BinaryOp.Maximum) return a > b ? a : b;
        if (op == (int)BinaryOp.Minimum) return a < b ? a : b;
        if (op == (int)BinaryOp.GreaterOrEqual) return a >= b ? 1f : 0f;
        return a <= b ? 1f : 0f;
    }

    internal static float ApplyUnary(int op, float x, float p)
    {
        if (op == (int)UnaryOp.Scale) return p * x;
        if (op == (int)UnaryOp.AddScalar) return x + p;
        if (op == (int)UnaryOp.Exp) return MathF.Exp(x);
        if (op == (int)UnaryOp.Log) return MathF.Log(x);
        if (op == (int)UnaryOp.Relu) return x > 0f ? x : 0f;
        if (op == (int)UnaryOp.Sigmoid) return 1f / (1f + MathF.Exp(-x));
        if (op == (int)UnaryOp.Tanh) return MathF.Tanh(x);
        if (op == (int)UnaryOp.Abs) return x < 0f ? -x : x;
        if (op == (int)UnaryOp.Square) return x * x;
        if (op == (int)UnaryOp.Sqrt) return MathF.Sqrt(x);
        return MathF.Pow(x, p);
    }

    internal static float UnaryDerivative(int op, float x, float y, float p)
    {
        if (op == (int)UnaryOp.Scale) return p;
        if (op == (int)UnaryOp.AddScalar) return 1f;
        if (op == (int)UnaryOp.Exp) return y;
        if (op == (int)UnaryOp.Log) return 1f / x;
        if (op == (int)UnaryOp.Relu) return x > 0f ? 1f : 0f;
        if (op == (int)UnaryOp.Sigmoid) return y * (1f - y);
        if (op == (int)UnaryOp.Tanh) return 1f - y * y;
        if (op == (int)UnaryOp.Abs) return x < 0f ? -1f : (x > 0f ? 1f : 0f);
        if (op == (int)UnaryOp.Square) return 2f * x;
        if (op == (int)UnaryOp.Sqrt) return 0.5f / y;
        return p * MathF.Pow(x, p - 1f);
    }
}
