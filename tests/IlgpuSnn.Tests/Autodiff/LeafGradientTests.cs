using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Autodiff;

/// <summary>
/// How a backward pass hands a leaf its first gradient: the gradient tensor is taken over without a launch when no
/// other tensor shares its memory, and copied when one does (a backward may hand out views of one buffer to several
/// inputs); every later backward adds to it.
/// </summary>
public sealed class LeafGradientTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>y = x for both inputs, its backward handing both the same memory (two views of g).</summary>
    private static Tensor SumOfTwo(Tensor a, Tensor b)
    {
        var y = Ops.Add(a.Detach(), b.Detach());
        if (Tape.Begin("SumOfTwo", a, b) is not { } entry) return y;
        entry.Complete(y, g => [g[0]!.Detach(), g[0]!.Detach()]);
        return y;
    }

    [Fact]
    public void Gradients_that_share_memory_become_independent_leaf_gradients()
    {
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(D, [1f, 2f], 2).RequireGrad();
        var b = Tensor.FromArray(D, [3f, 4f], 2).RequireGrad();
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = SumOfTwo(a, b);
        tape.Backward(y, Tensor.FromArray(D, [5f, 6f], 2));
        Assert.Equal([5f, 6f], a.Grad!.ToArray());
        Assert.Equal([5f, 6f], b.Grad!.ToArray());
        // Writing one gradient must not change the other.
        Ops.ScaleInPlace(a.Grad, 2f);
        Assert.Equal([10f, 12f], a.Grad.ToArray());
        Assert.Equal([5f, 6f], b.Grad.ToArray());
    }

    [Fact]
    public void A_first_gradient_is_taken_over_without_a_launch_and_later_ones_are_added()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(D, [1f, -2f, 3f], 3).RequireGrad();
        x.Name = "w";
        var seed = Tensor.FromArray(D, [1f, 2f, 3f], 3);
        for (int pass = 1; pass <= 2; pass++)
        {
            using var tape = new Tape();
            Tensor y;
            using (tape.Record()) y = Ops.Scale(x, 2f);
            long before = D.Activity.KernelLaunches;
            tape.Backward(y, seed);
            // The scale's backward is one launch; the first accumulation none, the second one addition.
            Assert.Equal(pass == 1 ? 1 : 2, D.Activity.KernelLaunches - before);
            Assert.Equal([2f * pass, 4f * pass, 6f * pass], x.Grad!.ToArray());
        }
        Assert.Equal("w.grad", x.Grad!.Name);
        Assert.Equal([3], x.Grad.Shape);
    }

    /// <summary>
    /// A leaf that already has a gradient and receives two more in one pass (it is used twice) gets both: hand-computed,
    /// d(2a·w + 3a)/da = 2w + 3 = 11 and d/dw = 2a per pass, added to what the earlier passes left.
    /// </summary>
    [Fact]
    public void A_leaf_used_twice_in_a_later_pass_receives_both_gradients()
    {
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(D, [1f, -1f, 2f], 3).RequireGrad();
        var w = Tensor.FromArray(D, [4f, 4f, 4f], 3).RequireGrad();
        for (int pass = 1; pass <= 3; pass++)
        {
            using var tape = new Tape();
            Tensor y;
            using (tape.Record()) y = Ops.Add(Ops.Multiply(Ops.Scale(a, 2f), w), Ops.Scale(a, 3f));
            tape.Backward(y, Tensor.FromArray(D, [1f, 1f, 1f], 3));
            Assert.Equal([11f * pass, 11f * pass, 11f * pass], a.Grad!.ToArray());
            Assert.Equal([2f * pass, -2f * pass, 4f * pass], w.Grad!.ToArray());
        }
    }
}
