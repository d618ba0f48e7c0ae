using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Matrix product op(a) op(b) of 2-D tensors, where op transposes when the flag is set: op(a) is [m, k]
    /// (a is [k, m] when <paramref name="transA"/>), op(b) is [k, n] (b is [n, k] when <paramref name="transB"/>).
    /// Returns [m, n]. Differentiable in both operands.
    /// </summary>
    /// <param name="a">Left matrix [m, k] ([k, m] when transposed).</param>
    /// <param name="b">Right matrix [k, n] ([n, k] when transposed).</param>
    /// <param name="transA">Use the transpose of <paramref name="a"/>.</param>
    /// <param name="transB">Use the transpose of <paramref name="b"/>.</param>
    /// <returns>op(a)·op(b), [m, n].</returns>
    /// <exception cref="ArgumentException">An operand is not 2-D or the inner dimensions differ.</exception>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        const string op = "MatMul";
        var device = Check.SameDevice(op, a, b);
        Check.Rank(op, a, 2, "a");
        Check.Rank(op, b, 2, "b");
        int m = transA ? a.Dim(1) : a.Dim(0);
        int k = transA ? a.Dim(0) : a.Dim(1);
        int kb = transB ? b.Dim(1) : b.Dim(0);
        int n = transB ? b.Dim(0) : b.Dim(1);
        if (k != kb)
            throw new ArgumentException($"{op}: inner dimensions differ: a {Tensor.Format(a.Shape)}{(transA ? " (transposed)" : "")} and b {Tensor.Format(b.Shape)}{(transB ? " (transposed)" : "")}.");
        var y = Tensor.Empty(device, m, n);
        Gemm.Run(device, a.View, b.View, y.View, m, n, k, transA, transB);
        if (Tape.Begin(op, a, b) is not { } entry) return y;
        bool needA = a.RequiresGrad, needB = b.RequiresGrad;
        // dA needs b, dB needs a: keep only what is used.
        var sa = needB ? entry.Keep(a) : null;
        var sb = needA ? entry.Keep(b) : null;
        var aShape = a.ShapeArray();
        var bShape = b.ShapeArray();
        entry.Complete(y, g =>
        {
            var gy = g[0]!;
            Tensor? ga = null, gb = null;
            if (needA)
            {
                ga = Tensor.Empty(device, aShape);
                if (!transA) Gemm.Run(device, gy.View, sb!.View, ga.View, m, k, n, false, !transB); // gy op(b)^T
                else Gemm.Run(device, sb!.View, gy.View, ga.View, k, m, n, transB, true);          // op(b) gy^T
            }
            if (needB)
            {
                gb = Tensor.Empty(device, bShape);
                if (!transB) Gemm.Run(device, sa!.View, gy.View, gb.View, k, n, m, !transA, false); // op(a)^T gy
                else Gemm.Run(device, gy.View, sa!.View, gb.View, n, k, m, true, transA);          // gy^T op(a)
            }
            return [ga, gb];
        });
        return y;
    }
}
