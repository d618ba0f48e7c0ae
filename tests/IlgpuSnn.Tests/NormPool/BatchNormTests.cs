using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.NormPool;

public sealed class BatchNormTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>Per-channel mean and biased variance in double, for x [N, C, S].</summary>
    private static (double[] Mean, double[] Var) Stats(float[] x, int n, int c, int s)
    {
        var mean = new double[c];
        var var = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < s; j++) sum += x[(i * c + ch) * s + j];
            mean[ch] = sum / (n * s);
            double sq = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < s; j++) { double d = x[(i * c + ch) * s + j] - mean[ch]; sq += d * d; }
            var[ch] = sq / (n * s);
        }
        return (mean, var);
    }

    private static double[] Normalize(float[] x, int n, int c, int s, double[] mean, double[] var, float[] gamma, float[] beta, double eps)
    {
        var y = new double[x.Length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < s; j++)
                {
                    int e = (i * c + ch) * s + j;
                    y[e] = gamma[ch] * (x[e] - mean[ch]) / Math.Sqrt(var[ch] + eps) + beta[ch];
                }
        return y;
    }

    public static TheoryData<int[]> Shapes => new() { (int[])[4, 3, 5, 3], (int[])[1, 3, 3, 5], (int[])[6, 4], (int[])[2, 2, 1, 1] };

    private static (int N, int C, int S) Layout(int[] shape) => (shape[0], shape[1], shape.Length == 4 ? shape[2] * shape[3] : 1);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Training_forward_and_running_update_match_reference(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        var x = Rand.Uniform(n * c * s, 1, -2f, 3f);
        var gamma = Rand.Uniform(c, 2, 0.5f, 1.5f);
        var beta = Rand.Uniform(c, 3);
        var rm0 = Rand.Uniform(c, 4);
        var rv0 = Rand.Uniform(c, 5, 0.5f, 2f);
        const float momentum = 0.2f, eps = 1e-5f;
        using var scope = TensorScope.Begin();
        var rm = Tensor.FromArray(D, rm0, c);
        var rv = Tensor.FromArray(D, rv0, c);
        var y = Ops.BatchNorm(Tensor.FromArray(D, x, shape), Tensor.FromArray(D, gamma, c), Tensor.FromArray(D, beta, c), rm, rv, training: true, momentum, eps);

        var (mean, var) = Stats(x, n, c, s);
        Assert.Equal(shape, y.ShapeArray());
        Close.Relative(Normalize(x, n, c, s, mean, var, gamma, beta, eps), y.ToArray(), 2e-5, "y");
        int m = n * s;
        Close.Relative(rm0.Select((r, i) => (1 - momentum) * r + momentum * mean[i]).ToArray(), rm.ToArray(), 1e-5, "runningMean");
        Close.Relative(rv0.Select((r, i) => (1 - momentum) * r + momentum * var[i] * m / (m - 1)).ToArray(), rv.ToArray(), 1e-5, "runningVar");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Evaluation_uses_running_statistics_and_leaves_them(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        var x = Rand.Uniform(n * c * s, 6);
        var gamma = Rand.Uniform(c, 7, 0.5f, 1.5f);
        var beta = Rand.Uniform(c, 8);
        var rm0 = Rand.Uniform(c, 9);
        var rv0 = Rand.Uniform(c, 10, 0.5f, 2f);
        using var scope = TensorScope.Begin();
        var rm = Tensor.FromArray(D, rm0, c);
        var rv = Tensor.FromArray(D, rv0, c);
        var y = Ops.BatchNorm(Tensor.FromArray(D, x, shape), Tensor.FromArray(D, gamma, c), Tensor.FromArray(D, beta, c), rm, rv, training: false, eps: 1e-3f);
        Close.Relative(Normalize(x, n, c, s, rm0.Select(v => (double)v).ToArray(), rv0.Select(v => (double)v).ToArray(), gamma, beta, 1e-3), y.ToArray(), 2e-5);
        Assert.Equal(rm0, rm.ToArray());
        Assert.Equal(rv0, rv.ToArray());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Training_backward_matches_finite_differences(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        Tensor F(Tensor[] t)
        {
            var rm = Tensor.Zeros(D, c);
            var rv = Tensor.Full(D, 1f, c);
            return Ops.BatchNorm(t[0], t[1], t[2], rm, rv, training: true);
        }
        GradientCheck.Assert(D, F,
            [(Rand.Uniform(n * c * s, 11, -2f, 2f), shape), (Rand.Uniform(c, 12, 0.5f, 1.5f), [c]), (Rand.Uniform(c, 13), [c])],
            eps: 1e-3, atol: 2e-3, rtol: 2e-2);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Evaluation_backward_matches_finite_differences(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        var rm0 = Rand.Uniform(c, 14);
        var rv0 = Rand.Uniform(c, 15, 0.5f, 2f);
        Tensor F(Tensor[] t) => Ops.BatchNorm(t[0], t[1], t[2], Tensor.FromArray(D, rm0, c), Tensor.FromArray(D, rv0, c), training: false);
        GradientCheck.Assert(D, F,
            [(Rand.Uniform(n * c * s, 16), shape), (Rand.Uniform(c, 17, 0.5f, 1.5f), [c]), (Rand.Uniform(c, 18), [c])]);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    public void Backward_for_a_subset_of_inputs(bool needX, bool needGamma, bool needBeta)
    {
        int[] shape = [3, 2, 2, 3];
        Tensor F(Tensor[] t) => Ops.BatchNorm(t[0], t[1], t[2], Tensor.Zeros(D, 2), Tensor.Full(D, 1f, 2), training: true);
        GradientCheck.Assert(D, F,
            [(Rand.Uniform(36, 19, -2f, 2f), shape), (Rand.Uniform(2, 20, 0.5f, 1.5f), [2]), (Rand.Uniform(2, 21), [2])],
            eps: 1e-3, atol: 2e-3, rtol: 2e-2, checkInput: [needX, needGamma, needBeta]);
    }

    [Fact]
    public void Training_keeps_only_normalized_input_and_per_channel_scale()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(D, Rand.Uniform(2 * 3 * 4 * 4, 22), 2, 3, 4, 4).RequireGrad();
        var gamma = Tensor.Full(D, 1f, 3).RequireGrad();
        var beta = Tensor.Zeros(D, 3).RequireGrad();
        using var tape = new Tape();
        using (tape.Record()) Ops.BatchNorm(x, gamma, beta, Tensor.Zeros(D, 3), Tensor.Full(D, 1f, 3), training: true);
        Assert.Equal((x.Length + 3) * sizeof(float), tape.SavedBytes);
    }

    [Fact]
    public void With_statistics_normalises_with_given_values_and_backpropagates_as_batch_statistics()
    {
        int n = 3, c = 2, s = 4;
        var x = Rand.Uniform(n * c * s, 23, -1f, 2f);
        var gamma = Rand.Uniform(c, 24, 0.5f, 1.5f);
        var beta = Rand.Uniform(c, 25);
        float[] mean = [0.3f, -0.2f];
        float[] variance = [0.7f, 1.6f];
        var dy = Rand.Uniform(n * c * s, 26);
        const double eps = 1e-5;
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(D, x, n, c, 2, 2).RequireGrad();
        var tg = Tensor.FromArray(D, gamma, c).RequireGrad();
        var tb = Tensor.FromArray(D, beta, c).RequireGrad();
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.BatchNormWithStatistics(tx, tg, tb, Tensor.FromArray(D, mean, c), Tensor.FromArray(D, variance, c));
        var md = mean.Select(v => (double)v).ToArray();
        var vd = variance.Select(v => (double)v).ToArray();
        Close.Relative(Normalize(x, n, c, s, md, vd, gamma, beta, eps), y.ToArray(), 2e-5, "y");
        tape.Backward(y, Tensor.FromArray(D, dy, y.ShapeArray()));

        // dx = (1/s)·[g − mean(g) − x̂·mean(g⊙x̂)], g = γ·dy, x̂ = (x − μ)/s, means over N·S per channel
        var dx = new double[x.Length];
        var dgamma = new double[c];
        var dbeta = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double sd = Math.Sqrt(vd[ch] + eps);
            double mg = 0, mgx = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++)
                {
                    int e = (i * c + ch) * s + j;
                    double xh = (x[e] - md[ch]) / sd;
                    mg += gamma[ch] * dy[e];
                    mgx += gamma[ch] * dy[e] * xh;
                    dgamma[ch] += dy[e] * xh;
                    dbeta[ch] += dy[e];
                }
            mg /= n * s;
            mgx /= n * s;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++)
                {
                    int e = (i * c + ch) * s + j;
                    double xh = (x[e] - md[ch]) / sd;
                    dx[e] = (gamma[ch] * dy[e] - mg - xh * mgx) / sd;
                }
        }
        Close.Relative(dx, tx.Grad!.ToArray(), 1e-4, "dx");
        Close.Relative(dgamma, tg.Grad!.ToArray(), 1e-4, "dgamma");
        Close.Relative(dbeta, tb.Grad!.ToArray(), 1e-4, "dbeta");
    }

    [Theory]
    [InlineData(new[] { 5, 3, 4, 7 })]
    [InlineData(new[] { 9, 2 })]
    public void Portable_kernels_agree_with_the_host_kernels(int[] shape)
    {
        // The tests above run the CPU accelerator's host forms; the portable kernels GPUs run must agree with them
        // (up to float summation order in the channel sums) in the forward, the running update and the backward.
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        int c = shape[1];
        var x = Rand.Uniform(shape.Aggregate(1, (a, b) => a * b), 61, -2f, 3f);
        var gy = Rand.Uniform(x.Length, 62);
        var gamma = Rand.Uniform(c, 63, 0.5f, 1.5f);
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            var tx = Tensor.FromArray(device, x, shape).RequireGrad();
            var tg = Tensor.FromArray(device, gamma, c).RequireGrad();
            var tb = Tensor.Zeros(device, c).RequireGrad();
            var rm = Tensor.Zeros(device, c);
            var rv = Tensor.Full(device, 1f, c);
            using var tape = new Tape();
            Tensor y;
            using (tape.Record()) y = Ops.BatchNorm(tx, tg, tb, rm, rv, training: true, 0.1f, 1e-5f);
            tape.Backward(y, Tensor.FromArray(device, gy, shape));
            return [y.ToArray(), rm.ToArray(), rv.ToArray(), tx.Grad!.ToArray(), tg.Grad!.ToArray(), tb.Grad!.ToArray()];
        }
        var host = Run(D);
        var port = Run(portable);
        for (int i = 0; i < host.Length; i++) Close.Relative(port[i].Select(v => (double)v).ToArray(), host[i], 2e-5, $"output {i}");
    }

    [Theory]
    [InlineData(new[] { 5, 3, 4, 7 })]
    [InlineData(new[] { 9, 2 })]
    public void Channel_statistics_match_reference_and_are_stable_with_large_offsets(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        using var scope = TensorScope.Begin();
        foreach (var offset in new[] { 0f, 1000f })
        {
            var x = Rand.Uniform(n * c * s, 27).Select(v => v + offset).ToArray();
            Ops.ChannelStatistics(Tensor.FromArray(D, x, shape), out var mean, out var variance);
            var (em, ev) = Stats(x, n, c, s);
            Assert.Equal([c], mean.ShapeArray());
            Close.Relative(em, mean.ToArray(), 1e-5, "mean");
            Close.Relative(ev, variance.ToArray(), 1e-3, "variance");
        }
    }

    [Fact]
    public void Bad_shapes_name_operation_and_shapes()
    {
        using var scope = TensorScope.Begin();
        var c3 = Tensor.Zeros(D, 3);
        var e = Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(D, 2, 3, 4), c3, c3, c3, c3, training: true));
        Assert.Contains("BatchNorm", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3, 4]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(D, 2, 3, 2, 2), c3, Tensor.Zeros(D, 4), c3, c3, training: false));
        Assert.Contains("beta", e.Message, StringComparison.Ordinal);
        Assert.Contains("[4]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3, 2, 2]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(D, 1, 3), c3, c3, c3, c3, training: true));
        Assert.Contains("[1, 3]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Ops.BatchNormWithStatistics(Tensor.Zeros(D, 2, 3), c3, c3, Tensor.Zeros(D, 2), c3));
        Assert.Contains("BatchNormWithStatistics", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => { Ops.ChannelStatistics(Tensor.Zeros(D, 6), out _, out _); });
        Assert.Contains("ChannelStatistics", e.Message, StringComparison.Ordinal);
    }
}
