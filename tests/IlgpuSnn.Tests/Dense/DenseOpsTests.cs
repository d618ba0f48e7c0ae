using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Dense;

public sealed class DenseOpsTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    public static TheoryData<bool, bool> Transposes => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    [Theory]
    [MemberData(nameof(Transposes))]
    public void MatMul_forward_matches_loops_and_backward_matches_finite_differences(bool transA, bool transB)
    {
        const int m = 5, k = 7, n = 3;
        var a = Rand.Uniform(m * k, 11);
        var b = Rand.Uniform(k * n, 12);
        int[] aShape = transA ? [k, m] : [m, k];
        int[] bShape = transB ? [n, k] : [k, n];
        var expected = ReferenceGemm.Product(a, b, m, n, k, transA, transB);
        using (var scope = TensorScope.Begin())
        {
            var y = Ops.MatMul(Tensor.FromArray(D, a, aShape), Tensor.FromArray(D, b, bShape), transA, transB);
            Assert.Equal([m, n], y.ShapeArray());
            Close.Relative(expected, y.ToArray(), 1e-4);
        }
        GradientCheck.Assert(D, x => Ops.MatMul(x[0], x[1], transA, transB), [(a, aShape), (b, bShape)], eps: 1e-1, atol: 1e-3, rtol: 1e-3);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Linear_forward_matches_loops_and_backward_matches_finite_differences(bool withBias)
    {
        const int batch = 4, inF = 9, outF = 6;
        var x = Rand.Uniform(batch * inF, 21);
        var w = Rand.Uniform(outF * inF, 22);
        var bias = Rand.Uniform(outF, 23);
        var expected = ReferenceGemm.Product(x, w, batch, outF, inF, transB: true);
        if (withBias)
            for (int r = 0; r < batch; r++)
                for (int o = 0; o < outF; o++) expected[r * outF + o] += bias[o];
        using (var scope = TensorScope.Begin())
        {
            var y = Ops.Linear(Tensor.FromArray(D, x, batch, inF), Tensor.FromArray(D, w, outF, inF),
                withBias ? Tensor.FromArray(D, bias, outF) : null);
            Assert.Equal([batch, outF], y.ShapeArray());
            Close.Relative(expected, y.ToArray(), 1e-4);
        }
        if (withBias)
            GradientCheck.Assert(D, t => Ops.Linear(t[0], t[1], t[2]), [(x, [batch, inF]), (w, [outF, inF]), (bias, [outF])], eps: 1e-1, atol: 1e-3, rtol: 1e-3);
        else
            GradientCheck.Assert(D, t => Ops.Linear(t[0], t[1], null), [(x, [batch, inF]), (w, [outF, inF])], eps: 1e-1, atol: 1e-3, rtol: 1e-3);
    }

    [Theory]
    // n, c, h, w, o, kh, kw, stride, padding, bias, column budget in floats (0 = default; small = several batch chunks)
    [InlineData(1, 3, 5, 6, 5, 3, 3, 1, 0, true, 0)]
    [InlineData(2, 3, 6, 5, 5, 3, 3, 2, 1, false, 0)]
    [InlineData(2, 3, 4, 7, 5, 1, 1, 1, 0, true, 0)]
    [InlineData(3, 2, 7, 5, 4, 3, 2, 2, 1, true, 0)]
    [InlineData(1, 1, 5, 5, 2, 1, 1, 2, 1, false, 0)]
    [InlineData(5, 3, 6, 5, 5, 3, 3, 2, 1, true, 200)]
    public void Conv2d_forward_matches_loops_and_backward_matches_finite_differences(int n, int c, int h, int w, int o, int kh, int kw, int stride, int padding, bool withBias, long budget)
    {
        long saved = Ops.ConvColumnBudget;
        if (budget > 0) Ops.ConvColumnBudget = budget;
        try { CheckConv(n, c, h, w, o, kh, kw, stride, padding, withBias); }
        finally { Ops.ConvColumnBudget = saved; }
    }

    private void CheckConv(int n, int c, int h, int w, int o, int kh, int kw, int stride, int padding, bool withBias)
    {
        var x = Rand.Uniform(n * c * h * w, 31);
        var wt = Rand.Uniform(o * c * kh * kw, 32);
        var bias = Rand.Uniform(o, 33);
        int ho = (h + 2 * padding - kh) / stride + 1, wo = (w + 2 * padding - kw) / stride + 1;
        var expected = new double[n * o * ho * wo];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++)
                    {
                        double s = withBias ? bias[oc] : 0;
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = oh * stride - padding + i, iw = ow * stride - padding + j;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    s += (double)x[((b * c + ic) * h + ih) * w + iw] * wt[((oc * c + ic) * kh + i) * kw + j];
                                }
                        expected[((b * o + oc) * ho + oh) * wo + ow] = s;
                    }
        using (var scope = TensorScope.Begin())
        {
            var y = Ops.Conv2d(Tensor.FromArray(D, x, n, c, h, w), Tensor.FromArray(D, wt, o, c, kh, kw),
                withBias ? Tensor.FromArray(D, bias, o) : null, stride, padding);
            Assert.Equal([n, o, ho, wo], y.ShapeArray());
            Close.Relative(expected, y.ToArray(), 1e-4);
        }
        (float[], int[])[] inputs = withBias
            ? [(x, [n, c, h, w]), (wt, [o, c, kh, kw]), (bias, [o])]
            : [(x, [n, c, h, w]), (wt, [o, c, kh, kw])];
        GradientCheck.Assert(D, t => Ops.Conv2d(t[0], t[1], withBias ? t[2] : null, stride, padding), inputs,
            eps: 1e-1, atol: 1e-3, rtol: 1e-3, maxChecksPerInput: 24);
    }

    [Theory]
    [InlineData(2, 3, 6, 5, 5, 3, 3, 2, 1, true)]
    [InlineData(3, 2, 7, 5, 4, 3, 2, 1, 1, false)]
    public void Conv2d_portable_layout_kernels_give_the_host_kernels_results(int n, int c, int h, int w, int o, int kh, int kw, int stride, int padding, bool withBias)
    {
        // The host forms of im2col/col2im/layout are checked against loops above; the portable forms GPUs run must give
        // the same values (same arithmetic, same summation order) when the CPU accelerator runs them.
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        var x = Rand.Uniform(n * c * h * w, 51);
        var wt = Rand.Uniform(o * c * kh * kw, 52);
        var bias = Rand.Uniform(o, 53);
        var gy = Rand.Uniform(n * o * ((h + 2 * padding - kh) / stride + 1) * ((w + 2 * padding - kw) / stride + 1), 54);
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            var tx = Tensor.FromArray(device, x, n, c, h, w).RequireGrad();
            var tw = Tensor.FromArray(device, wt, o, c, kh, kw).RequireGrad();
            var tb = withBias ? Tensor.FromArray(device, bias, o).RequireGrad() : null;
            using var tape = new Tape();
            Tensor y;
            using (tape.Record()) y = Ops.Conv2d(tx, tw, tb, stride, padding);
            tape.Backward(y, Tensor.FromArray(device, gy, y.ShapeArray()));
            return [y.ToArray(), tx.Grad!.ToArray(), tw.Grad!.ToArray()];
        }
        var host = Run(D);
        var port = Run(portable);
        Assert.Equal(port[0], host[0]);
        Assert.Equal(port[1], host[1]);
        // The CPU sums the weight gradient over the whole batch in its own blocks (implicit GEMM): another order.
        Close.Relative(port[2].Select(v => (double)v), host[2], 1e-5, "dW");
    }

    [Fact]
    public void Conv2d_gradient_of_one_input_only_and_saves_only_what_it_needs()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(D, Rand.Uniform(2 * 3 * 5 * 5, 41), 2, 3, 5, 5);
        var w = Tensor.FromArray(D, Rand.Uniform(4 * 3 * 3 * 3, 42), 4, 3, 3, 3).RequireGrad();
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.Conv2d(x, w, null, 1, 1);
        Assert.Equal(1, tape.NodeCount);
        Assert.Equal(x.Bytes, tape.SavedBytes); // only x is needed for the weight gradient
        tape.Backward(y);
        Assert.NotNull(w.Grad);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Conv2d_mac_counter_is_exact()
    {
        using var scope = TensorScope.Begin();
        const int n = 2, c = 3, h = 6, w = 5, o = 4, k = 3, stride = 2, padding = 1;
        int ho = (h + 2 * padding - k) / stride + 1, wo = (w + 2 * padding - k) / stride + 1;
        long forward = (long)n * o * ho * wo * c * k * k;
        var x = Tensor.FromArray(D, Rand.Uniform(n * c * h * w, 51), n, c, h, w).RequireGrad();
        var wt = Tensor.FromArray(D, Rand.Uniform(o * c * k * k, 52), o, c, k, k).RequireGrad();
        var b = Tensor.FromArray(D, Rand.Uniform(o, 53), o).RequireGrad();
        D.Macs.Reset();
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.Conv2d(x, wt, b, stride, padding);
        Assert.Equal(forward, D.Macs.Forward);
        tape.Backward(y);
        Assert.Equal(forward, D.Macs.Forward);
        Assert.Equal(2 * forward, D.Macs.Backward); // weight gradient + input gradient
    }

    [Fact]
    public void Shape_mismatches_throw_argument_exceptions_naming_op_and_shapes()
    {
        using var scope = TensorScope.Begin();
        var a = Tensor.Zeros(D, 2, 3);
        var b = Tensor.Zeros(D, 4, 5);
        AssertMessage(() => Ops.MatMul(a, b), "MatMul", "[2, 3]", "[4, 5]");
        AssertMessage(() => Ops.Linear(a, b, null), "Linear", "[2, 3]", "[4, 5]");
        AssertMessage(() => Ops.Linear(a, Tensor.Zeros(D, 4, 3), Tensor.Zeros(D, 5)), "Linear", "[5]", "[4, 3]");
        var x = Tensor.Zeros(D, 1, 3, 5, 5);
        AssertMessage(() => Ops.Conv2d(x, Tensor.Zeros(D, 2, 4, 3, 3), null), "Conv2d", "[1, 3, 5, 5]", "[2, 4, 3, 3]");
        AssertMessage(() => Ops.Conv2d(x, Tensor.Zeros(D, 2, 3, 7, 7), null), "Conv2d", "[1, 3, 5, 5]", "[2, 3, 7, 7]");
        AssertMessage(() => Ops.Conv2d(x, Tensor.Zeros(D, 2, 3, 3, 3), Tensor.Zeros(D, 3)), "Conv2d", "[3]", "[2, 3, 3, 3]");
        AssertMessage(() => Ops.Conv2d(a, Tensor.Zeros(D, 2, 3, 3, 3), null), "Conv2d", "[2, 3]");
    }

    private static void AssertMessage(Action act, params string[] parts)
    {
        var e = Assert.Throws<ArgumentException>(act);
        foreach (var p in parts) Assert.Contains(p, e.Message, StringComparison.Ordinal);
    }
}
