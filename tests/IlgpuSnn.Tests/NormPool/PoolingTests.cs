using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.NormPool;

public sealed class PoolingTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    private static double[] Reference(float[] x, int n, int c, int h, int w, int k, int s, bool max)
    {
        int oh = (h - k) / s + 1, ow = (w - k) / s + 1;
        var y = new double[n * c * oh * ow];
        for (int p = 0; p < n * c; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++)
                        {
                            double v = x[(p * h + i * s + a) * w + j * s + b];
                            acc = max ? Math.Max(acc, v) : acc + v;
                        }
                    y[(p * oh + i) * ow + j] = max ? acc : acc / (k * k);
                }
        return y;
    }

    [Theory]
    [InlineData(2, 3, 7, 5, 3, 2)]
    [InlineData(1, 1, 4, 4, 2, 2)]
    [InlineData(2, 2, 5, 6, 2, 1)]
    [InlineData(1, 2, 3, 3, 3, 1)]
    [InlineData(3, 1, 9, 8, 2, 3)]
    [InlineData(2, 3, 14, 14, 2, 2)] // 2x2 at stride 2 in 128-bit steps: 7 outputs per row (overlapping last step)
    [InlineData(1, 2, 9, 27, 2, 2)]  // 13 outputs per row, odd height and width
    [InlineData(1, 1, 3, 8, 2, 2)]   // exactly 4 outputs per row
    public void Forward_matches_plain_loops(int n, int c, int h, int w, int k, int s)
    {
        var x = Rand.Uniform(n * c * h * w, 11);
        using var scope = TensorScope.Begin();
        var t = Tensor.FromArray(D, x, n, c, h, w);
        var avg = Ops.AvgPool2d(t, k, s);
        var max = Ops.MaxPool2d(t, k, s);
        int[] expectedShape = [n, c, (h - k) / s + 1, (w - k) / s + 1];
        Assert.Equal(expectedShape, avg.ShapeArray());
        Assert.Equal(expectedShape, max.ShapeArray());
        Close.Relative(Reference(x, n, c, h, w, k, s, max: false), avg.ToArray(), 1e-6, "avg");
        Close.Relative(Reference(x, n, c, h, w, k, s, max: true), max.ToArray(), 0, "max");
    }

    [Theory]
    [InlineData(2, 3, 7, 5, 3, 2)]
    [InlineData(2, 2, 5, 6, 2, 1)]
    [InlineData(2, 3, 8, 6, 2, 2)]
    [InlineData(2, 2, 7, 5, 2, 2)]
    [InlineData(2, 3, 14, 14, 2, 2)]
    [InlineData(1, 2, 28, 28, 2, 2)]
    [InlineData(2, 2, 9, 27, 2, 2)]
    [InlineData(1, 1, 5, 8, 2, 2)]
    public void Average_pooling_portable_kernels_give_the_host_kernels_results(int n, int c, int h, int w, int k, int s)
    {
        // The tests around this one check the CPU accelerator's host forms; the portable ones GPUs run must be identical.
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        var x = Rand.Uniform(n * c * h * w, 71);
        var gy = Rand.Uniform(n * c * ((h - k) / s + 1) * ((w - k) / s + 1), 72);
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            var t = Tensor.FromArray(device, x, n, c, h, w).RequireGrad();
            using var tape = new IlgpuSnn.Autodiff.Tape();
            Tensor y;
            using (tape.Record()) y = Ops.AvgPool2d(t, k, s);
            tape.Backward(y, Tensor.FromArray(device, gy, y.ShapeArray()));
            return [y.ToArray(), t.Grad!.ToArray()];
        }
        var host = Run(D);
        var port = Run(portable);
        Assert.Equal(host[0], port[0]);
        Assert.Equal(host[1], port[1]);
    }

    [Theory]
    [InlineData(2, 2, 7, 5, 3, 2)]
    [InlineData(1, 3, 4, 6, 2, 2)]
    [InlineData(2, 1, 5, 5, 2, 1)]
    [InlineData(1, 1, 8, 7, 2, 3)]
    [InlineData(1, 2, 9, 15, 2, 2)]
    public void Backward_matches_finite_differences(int n, int c, int h, int w, int k, int s)
    {
        int len = n * c * h * w;
        GradientCheck.Assert(D, x => Ops.AvgPool2d(x[0], k, s), [(Rand.Uniform(len, 5), [n, c, h, w])], maxChecksPerInput: 64);
        // Distinct values 0.1 apart: the finite-difference step (1e-2) never changes which element is the maximum.
        GradientCheck.Assert(D, x => Ops.MaxPool2d(x[0], k, s), [(Numerics.Distinct(len, 6), [n, c, h, w])], maxChecksPerInput: 64);
    }

    [Fact]
    public void Max_pool_routes_ties_to_the_first_maximum_and_keeps_only_indices()
    {
        using var scope = TensorScope.Begin();
        // one 3x3 plane of equal values, kernel 2 stride 1: windows overlap and every window is a tie
        var x = Tensor.Full(D, 2f, 1, 1, 3, 3).RequireGrad();
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.MaxPool2d(x, 2, 1);
        Assert.Equal(y.Length * sizeof(float), tape.SavedBytes);
        tape.Backward(y, Tensor.FromArray(D, [1f, 2f, 3f, 4f], 1, 1, 2, 2));
        // window (i, j) sends its gradient to its top-left element (i, j)
        Assert.Equal([1f, 2f, 0f, 3f, 4f, 0f, 0f, 0f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void Avg_pool_keeps_nothing_for_backward()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Full(D, 1f, 2, 2, 4, 4).RequireGrad();
        using var tape = new Tape();
        using (tape.Record()) Ops.AvgPool2d(x, 2, 2);
        Assert.Equal(1, tape.NodeCount);
        Assert.Equal(0, tape.SavedBytes);
    }

    [Fact]
    public void Bad_shapes_name_operation_and_shape()
    {
        using var scope = TensorScope.Begin();
        var rank3 = Tensor.Zeros(D, 2, 5, 5);
        var e = Assert.Throws<ArgumentException>(() => Ops.MaxPool2d(rank3, 2, 2));
        Assert.Contains("MaxPool2d", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 5, 5]", e.Message, StringComparison.Ordinal);
        var small = Tensor.Zeros(D, 1, 1, 2, 5);
        e = Assert.Throws<ArgumentException>(() => Ops.AvgPool2d(small, 3, 1));
        Assert.Contains("AvgPool2d", e.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 1, 2, 5]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Ops.AvgPool2d(small, 2, 0));
        Assert.Contains("stride 0", e.Message, StringComparison.Ordinal);
    }
}
