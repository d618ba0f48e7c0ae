using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// y = α·a + bias + β·previous for a of [N, C] (bias [C] broadcast over the rows; bias and previous optional), in one
    /// launch: e.g. a read-out W·x scaled and completed with its bias and a constant term of the previous step.
    /// Differentiable in a (α·g) and bias (Σ over rows of g); <paramref name="previous"/> is a constant.
    /// </summary>
    /// <param name="a">The product [N, C].</param>
    /// <param name="alpha">α.</param>
    /// <param name="bias">The bias [C], or null.</param>
    /// <param name="previous">A constant term [N, C], or null.</param>
    /// <param name="beta">β, the factor of <paramref name="previous"/>.</param>
    /// <returns>A new [N, C] tensor.</returns>
    internal static Tensor ScaleAddBias(Tensor a, float alpha, Tensor? bias, Tensor? previous = null, float beta = 0f)
    {
        const string name = "ScaleAddBias";
        var device = Check.SameDevice(name, a, bias, previous);
        Check.Rank(name, a, 2, "a");
        int rows = a.Dim(0), columns = a.Dim(1);
        var y = Tensor.Empty(device, rows, columns);
        ScaleAddBiasInto(y, a, alpha, bias, previous, beta);
        if (Tape.Begin(name, a, bias) is not { } entry) return y;
        bool needA = a.RequiresGrad, needBias = bias?.RequiresGrad ?? false;
        entry.Complete(y, g =>
        {
            var gy = g[0]!;
            Tensor? ga = null, gb = null;
            if (needA)
            {
                if (alpha == 1f)
                {
                    ga = gy.AliasInternal([rows, columns]);
                }
                else
                {
                    ga = Tensor.Empty(device, rows, columns);
                    Elementwise.Unary(device, gy.View, ga.View, UnaryOp.Scale, alpha);
                }
            }
            if (needBias)
            {
                gb = Tensor.Empty(device, columns);
                BiasKernels.SumPerChannel(device, gy.View, gb.View, default, rows, columns, 1);
            }
            return [ga, gb];
        });
        return y;
    }

    /// <summary>
    /// <paramref name="target"/> = α·a + bias + β·previous (see <see cref="ScaleAddBias"/>), written into an existing
    /// tensor (e.g. one step's rows of a sequence's read-outs), without graph.
    /// </summary>
    /// <param name="target">The result [N, C], overwritten.</param>
    /// <param name="a">The product [N, C].</param>
    /// <param name="alpha">α.</param>
    /// <param name="bias">The bias [C], or null.</param>
    /// <param name="previous">A term [N, C], or null.</param>
    /// <param name="beta">β, the factor of <paramref name="previous"/>.</param>
    internal static void ScaleAddBiasInto(Tensor target, Tensor a, float alpha, Tensor? bias, Tensor? previous = null, float beta = 0f)
    {
        const string name = "ScaleAddBias";
        var device = Check.SameDevice(name, target, a, bias, previous);
        Check.SameShape(name, target, a);
        if (previous is not null) Check.SameShape(name, previous, a);
        Check.Rank(name, a, 2, "a");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != a.Dim(1)))
            throw new ArgumentException($"{name}: bias {Tensor.Format(bias.Shape)} does not match {Tensor.Format(a.Shape)}.");
        Elementwise.ScaleAddBias(device, alpha, a.View, bias?.View, beta, previous?.View, target.View, a.Dim(1));
    }
}
