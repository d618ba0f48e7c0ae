using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.NormPool;

public sealed class ReduceTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    [Theory]
    [InlineData(new[] { 3, 5, 7 })]
    [InlineData(new[] { 100003 })]
    [InlineData(new[] { 1 })]
    public void Sum_and_mean_match_plain_loops(int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var x = Rand.Uniform(n, 1);
        double sum = x.Sum(v => (double)v);
        using var scope = TensorScope.Begin();
        var t = Tensor.FromArray(D, x, shape);
        var s = Ops.Sum(t);
        var m = Ops.Mean(t);
        Assert.Equal([1], s.ShapeArray());
        Assert.Equal([1], m.ShapeArray());
        Close.Relative([sum], s.ToArray(), 1e-4);
        Close.Relative([sum / n], m.ToArray(), 1e-5);
    }

    /// <summary>Sum over one axis in double, by plain loops over [outer, A, inner].</summary>
    private static double[] SumAxis(float[] x, int[] shape, int axis)
    {
        int outer = shape.Take(axis).Aggregate(1, (a, b) => a * b);
        int inner = shape.Skip(axis + 1).Aggregate(1, (a, b) => a * b);
        var y = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < shape[axis]; a++)
                for (int i = 0; i < inner; i++)
                    y[o * inner + i] += x[(o * shape[axis] + a) * inner + i];
        return y;
    }

    [Theory]
    [InlineData(new[] { 3, 5, 7 }, 0)]
    [InlineData(new[] { 3, 5, 7 }, 1)]
    [InlineData(new[] { 3, 5, 7 }, 2)]
    [InlineData(new[] { 3, 5, 7 }, -1)]
    [InlineData(new[] { 3, 5, 7 }, -3)]
    [InlineData(new[] { 2, 5001, 1 }, 1)]
    [InlineData(new[] { 4097 }, 0)]
    [InlineData(new[] { 4, 1 }, -1)]
    public void SumAxis_and_MeanAxis_match_plain_loops(int[] shape, int axis)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var x = Rand.Uniform(n, 2);
        int a = axis < 0 ? axis + shape.Length : axis;
        var expected = SumAxis(x, shape, a);
        int[] expectedShape = shape.Length == 1 ? [1] : shape.Where((_, i) => i != a).ToArray();
        using var scope = TensorScope.Begin();
        var t = Tensor.FromArray(D, x, shape);
        var s = Ops.SumAxis(t, axis);
        var m = Ops.MeanAxis(t, axis);
        Assert.Equal(expectedShape, s.ShapeArray());
        Assert.Equal(expectedShape, m.ShapeArray());
        Close.Relative(expected, s.ToArray(), 1e-4, "sum");
        Close.Relative(expected.Select(v => v / shape[a]).ToArray(), m.ToArray(), 1e-5, "mean");
    }

    [Theory]
    [InlineData("sum")]
    [InlineData("mean")]
    [InlineData("sum0")]
    [InlineData("sum1")]
    [InlineData("mean-1")]
    [InlineData("max")]
    public void Backward_matches_finite_differences(string op)
    {
        Func<Tensor[], Tensor> f = op switch
        {
            "sum" => x => Ops.Sum(x[0]),
            "mean" => x => Ops.Mean(x[0]),
            "sum0" => x => Ops.SumAxis(x[0], 0),
            "sum1" => x => Ops.SumAxis(x[0], 1),
            "mean-1" => x => Ops.MeanAxis(x[0], -1),
            _ => x => Ops.MaxLastAxis(x[0]),
        };
        GradientCheck.Assert(D, f, [(Numerics.Distinct(3 * 4 * 5, 3), [3, 4, 5])]);
    }

    [Fact]
    public void Argmax_and_max_take_the_first_maximum_on_ties()
    {
        float[] x = [1, 3, 3, 2, 2, 2, 0, -1, 5, -4, -2, -2];
        using var scope = TensorScope.Begin();
        var t = Tensor.FromArray(D, x, 2, 2, 3).RequireGrad();
        Assert.Equal([1, 0, 2, 1], Ops.ArgmaxLastAxis(t));
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.MaxLastAxis(t);
        Assert.Equal([2, 2], y.ShapeArray());
        Assert.Equal([3f, 2f, 5f, -2f], y.ToArray());
        tape.Backward(y, Tensor.FromArray(D, [1f, 2f, 3f, 4f], 2, 2));
        Assert.Equal([0f, 1f, 0f, 2f, 0f, 0f, 0f, 0f, 3f, 0f, 4f, 0f], t.Grad!.ToArray());
    }

    [Fact]
    public void Argmax_of_many_rows_matches_plain_loops()
    {
        var x = Rand.Uniform(257 * 10, 4);
        using var scope = TensorScope.Begin();
        var got = Ops.ArgmaxLastAxis(Tensor.FromArray(D, x, 257, 10));
        var expected = Enumerable.Range(0, 257).Select(r =>
        {
            int best = 0;
            for (int k = 1; k < 10; k++) if (x[r * 10 + k] > x[r * 10 + best]) best = k;
            return best;
        }).ToArray();
        Assert.Equal(expected, got);
        Assert.Equal([0], Ops.ArgmaxLastAxis(Tensor.FromArray(D, [7f], 1)));
    }

    [Fact]
    public void Bad_axis_names_operation_and_shape()
    {
        using var scope = TensorScope.Begin();
        var t = Tensor.Zeros(D, 2, 3);
        var e = Assert.Throws<ArgumentException>(() => Ops.SumAxis(t, 2));
        Assert.Contains("SumAxis", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Ops.MeanAxis(t, -3));
        Assert.Contains("MeanAxis", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Ops.ArgmaxLastAxis(Tensor.Zeros(D, 2, 0)));
        Assert.Contains("ArgmaxLastAxis", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 0]", e.Message, StringComparison.Ordinal);
    }
}
