using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Training;

public sealed class LossTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>Mean −log softmax(x)[label] in double, with the row maximum subtracted (an independent reference).</summary>
    private static double CrossEntropyReference(float[] logits, float[] labels, int n, int c)
    {
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < c; j++) max = Math.Max(max, logits[r * c + j]);
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.Exp(logits[r * c + j] - max);
            total += Math.Log(sum) + max - logits[r * c + (int)labels[r]];
        }
        return total / n;
    }

    private static float[] Labels(int n, int c, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)rng.Next(c)).ToArray();
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 10)]
    [InlineData(37, 3)]
    [InlineData(1500, 5)] // more rows than partial sums: work items add several rows
    public void CrossEntropy_forward_matches_double_loop(int n, int c)
    {
        var x = Rand.Uniform(n * c, 11, -4f, 4f);
        var y = Labels(n, c, 12);
        using var scope = TensorScope.Begin();
        var loss = Ops.SoftmaxCrossEntropy(Tensor.FromArray(D, x, n, c), Tensor.FromArray(D, y, n));
        Assert.Equal([1], loss.Shape);
        double expected = CrossEntropyReference(x, y, n, c);
        Assert.InRange(loss.Item(), expected - 1e-5 - 1e-5 * Math.Abs(expected), expected + 1e-5 + 1e-5 * Math.Abs(expected));
    }

    [Fact]
    public void CrossEntropy_is_stable_for_large_logits()
    {
        // Hand-known rows: three equal logits of 1000 give ln 3; [1000, 0] with label 1 gives 1000 + ln(1 + e^-1000) = 1000;
        // [-1000, 1000, 999] with label 1 gives ln(1 + e^-1 + e^-2000).
        float[] x = [1000f, 1000f, 1000f, 1000f, 0f, -1000f, -1000f, 1000f, 999f];
        using var scope = TensorScope.Begin();
        var logits = Tensor.FromArray(D, x, 3, 3);
        var perRow = new[] { Math.Log(3), 1000.0, Math.Log(1 + Math.Exp(-1)) };
        float[][] rows = [[1000f, 1000f, 1000f], [1000f, 0f, -1000f], [-1000f, 1000f, 999f]];
        float[] labels = [1f, 1f, 1f];
        for (int r = 0; r < 3; r++)
        {
            var single = Ops.SoftmaxCrossEntropy(Tensor.FromArray(D, rows[r], 1, 3), Tensor.FromArray(D, [labels[r]], 1)).Item();
            Assert.True(float.IsFinite(single));
            Assert.Equal(perRow[r], single, 1e-4 * Math.Max(1, perRow[r]));
        }
        var mean = Ops.SoftmaxCrossEntropy(logits, Tensor.FromArray(D, labels, 3)).Item();
        Assert.Equal(perRow.Average(), mean, 1e-3);
    }

    [Fact]
    public void CrossEntropy_gradient_of_large_logits_is_softmax_minus_onehot_over_n()
    {
        float[] x = [1000f, 999f, -1000f, 2f, 1f, 0f];
        float[] y = [0f, 2f];
        using var scope = TensorScope.Begin();
        var logits = Tensor.FromArray(D, x, 2, 3).RequireGrad();
        using var tape = new Tape();
        Tensor loss;
        using (tape.Record()) loss = Ops.SoftmaxCrossEntropy(logits, Tensor.FromArray(D, y, 2));
        using var seed = Tensor.FromArray(D, [3f], 1);
        tape.Backward(loss, seed);
        var g = logits.Grad!.ToArray();
        for (int r = 0; r < 2; r++)
        {
            double max = Enumerable.Range(0, 3).Max(j => (double)x[r * 3 + j]);
            double sum = Enumerable.Range(0, 3).Sum(j => Math.Exp(x[r * 3 + j] - max));
            for (int j = 0; j < 3; j++)
            {
                double expected = (Math.Exp(x[r * 3 + j] - max) / sum - (j == (int)y[r] ? 1 : 0)) / 2 * 3;
                Assert.Equal(expected, g[r * 3 + j], 1e-6);
            }
        }
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(6, 5)]
    public void CrossEntropy_backward_matches_finite_differences(int n, int c)
    {
        var x = Rand.Uniform(n * c, 21, -2f, 2f);
        var y = Labels(n, c, 22);
        GradientCheck.Assert(D, t => Ops.SoftmaxCrossEntropy(t[0], t[1]), [(x, [n, c]), (y, [n])],
            eps: 1e-2, atol: 1e-4, rtol: 2e-2, checkInput: [true, false]);
    }

    [Fact]
    public void CrossEntropy_keeps_only_handles_on_its_inputs()
    {
        using var scope = TensorScope.Begin();
        var logits = Tensor.FromArray(D, Rand.Uniform(20, 3), 4, 5).RequireGrad();
        var labels = Tensor.FromArray(D, [0f, 1f, 2f, 3f], 4);
        using var tape = new Tape();
        using (tape.Record()) Ops.SoftmaxCrossEntropy(logits, labels);
        Assert.Equal(1, tape.NodeCount);
        Assert.Equal(logits.Bytes + labels.Bytes, tape.SavedBytes);
        using (tape.Record()) Ops.SoftmaxCrossEntropy(logits.Detach(), labels);
        Assert.Equal(1, tape.NodeCount);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(3f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void Bad_labels_throw(float bad)
    {
        using var scope = TensorScope.Begin();
        var logits = Tensor.Zeros(D, 2, 3);
        var labels = Tensor.FromArray(D, [0f, bad], 2);
        var e = Assert.Throws<ArgumentException>(() => Ops.SoftmaxCrossEntropy(logits, labels));
        Assert.Contains("SoftmaxCrossEntropy", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Ops.CountCorrect(logits, labels));
    }

    [Fact]
    public void Bad_shapes_throw_naming_the_shapes()
    {
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(D, 2, 3), Tensor.Zeros(D, 3)));
        Assert.Contains("[2, 3]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[3]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(D, 6), Tensor.Zeros(D, 6)));
        var m = Assert.Throws<ArgumentException>(() => Ops.MseLoss(Tensor.Zeros(D, 2, 3), Tensor.Zeros(D, 3, 2)));
        Assert.Contains("MseLoss", m.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CountCorrect_uses_the_first_maximum()
    {
        float[] x =
        [
            1f, 3f, 3f, // tie: first maximum is 1
            1f, 3f, 3f,
            5f, 0f, 0f,
            0f, 0f, 0f, // all equal: index 0
            -1f, -2f, -0.5f,
        ];
        float[] y = [1f, 2f, 0f, 0f, 1f];
        using var scope = TensorScope.Begin();
        Assert.Equal(3, Ops.CountCorrect(Tensor.FromArray(D, x, 5, 3), Tensor.FromArray(D, y, 5)));
    }

    [Fact]
    public void CountCorrect_matches_plain_loop_on_many_rows()
    {
        int n = 2100, c = 7;
        var x = Rand.Uniform(n * c, 31);
        var y = Labels(n, c, 32);
        int expected = 0;
        for (int r = 0; r < n; r++)
        {
            int best = 0;
            for (int j = 1; j < c; j++) if (x[r * c + j] > x[r * c + best]) best = j;
            if (best == (int)y[r]) expected++;
        }
        using var scope = TensorScope.Begin();
        Assert.Equal(expected, Ops.CountCorrect(Tensor.FromArray(D, x, n, c), Tensor.FromArray(D, y, n)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(60)]
    [InlineData(5000)]
    public void Mse_forward_matches_double_loop(int n)
    {
        var x = Rand.Uniform(n, 41, -3f, 3f);
        var t = Rand.Uniform(n, 42);
        double expected = 0;
        for (int i = 0; i < n; i++) expected += ((double)x[i] - t[i]) * ((double)x[i] - t[i]);
        expected /= n;
        using var scope = TensorScope.Begin();
        var loss = Ops.MseLoss(Tensor.FromArray(D, x, n), Tensor.FromArray(D, t, n));
        Assert.Equal([1], loss.Shape);
        Assert.Equal(expected, loss.Item(), 2e-5 * Math.Max(1, expected));
    }

    [Fact]
    public void Mse_backward_matches_finite_differences()
    {
        GradientCheck.Assert(D, t => Ops.MseLoss(t[0], t[1]), [(Rand.Uniform(12, 51), [3, 4]), (Rand.Uniform(12, 52), [3, 4])],
            eps: 1e-2, atol: 1e-4);
        GradientCheck.Assert(D, t => Ops.MseLoss(t[0], t[1]), [(Rand.Uniform(12, 53), [3, 4]), (Rand.Uniform(12, 54), [3, 4])],
            eps: 1e-2, atol: 1e-4, checkInput: [false, true]);
        GradientCheck.Assert(D, t => Ops.MseLoss(Ops.Tanh(t[0]), t[1]), [(Rand.Uniform(10, 55), [10]), (Rand.Uniform(10, 56), [10])],
            eps: 1e-2, atol: 1e-4, checkInput: [true, false]);
    }
}
