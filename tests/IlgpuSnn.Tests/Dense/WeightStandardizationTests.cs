using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Dense;

/// <summary>
/// Scaled weight standardisation (the official OTTT networks' ScaledWSConv2d / ScaledWSLinear): Ŵ = gain·(W − mean)/
/// sqrt(var·n + eps) per output row, var unbiased, eps 1e-4.
/// Hand values, W = [[1, 2, 4], [0, 0, 3]], gain (2, 0.5): row 0 mean 7/3, Σ(w − mean)² = 14/3, var·n = 7, s = sqrt(7.0001);
/// row 1 mean 1, var·n = 9, s = sqrt(9.0001). Gradients of L = Σ C⊙Ŵ, C = [[0.3, −1, 0.5], [1.5, 0.2, −0.7]], by central
/// differences of that definition in double precision (h = 1e-6).
/// </summary>
public sealed class WeightStandardizationTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    private static readonly float[] W = [1f, 2f, 4f, 0f, 0f, 3f];
    private static readonly float[] Gain = [2f, 0.5f];
    private static readonly float[] C = [0.3f, -1f, 0.5f, 1.5f, 0.2f, -0.7f];

    [Fact]
    public void Forward_and_backward_match_hand_computed_values()
    {
        using var scope = TensorScope.Begin();
        var w = Tensor.FromArray(D, W, 2, 3).RequireGrad();
        var gain = Tensor.FromArray(D, Gain, 2).RequireGrad();
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.WeightStandardize(w, gain, 1e-4f);
        double s0 = Math.Sqrt(7.0001), s1 = Math.Sqrt(9.0001);
        Close.Relative([2 * -4 / 3.0 / s0, 2 * -1 / 3.0 / s0, 2 * 5 / 3.0 / s0, 0.5 * -1 / s1, 0.5 * -1 / s1, 0.5 * 2 / s1], y.ToArray(), 1e-5);
        using var seed = Tensor.FromArray(D, C, 2, 3);
        tape.Backward(y, seed);
        Close.Within([0.44275285, -0.66413342, 0.22138057, 0.10833369, -0.10833177, -0.0000019], w.Grad!.ToArray(), 2e-5, 0);
        Close.Within([0.28977069, -1.03332759], gain.Grad!.ToArray(), 2e-5, 0);
    }

    [Fact]
    public void Standardised_rows_have_zero_mean_and_unit_variance_times_fan_in_whatever_the_scale()
    {
        using var scope = TensorScope.Begin();
        var big = Tensor.FromArray(D, W.Select(v => v * 1000f).ToArray(), 2, 3);
        var y = Ops.WeightStandardize(big, null, 1e-4f).ToArray();
        for (int r = 0; r < 2; r++)
        {
            var row = y.Skip(3 * r).Take(3).ToArray();
            Assert.Equal(0, row.Average(), 5);
            // var·n = Σ(ŵ − 0)²·n/(n − 1) = 1 up to eps.
            Assert.Equal(1, row.Sum(v => (double)v * v) * 3 / 2, 4);
        }
    }

    [Fact]
    public void Backward_matches_finite_differences_for_conv_shaped_weights()
    {
        var w = Rand.Uniform(4 * 3 * 2 * 2, 21);
        var g = Rand.Uniform(4, 22).Select(v => v + 1.5f).ToArray();
        GradientCheck.Assert(D, x => Ops.WeightStandardize(x[0], x[1]), [(w, [4, 3, 2, 2]), (g, [4])], eps: 1e-2, atol: 2e-3, rtol: 2e-2);
    }

    [Fact]
    public void Conv_and_linear_layers_use_the_standardised_weight_and_learn_the_gain()
    {
        // Linear with gain: y = x·Ŵᵀ + b with Ŵ the hand values above.
        using var scope = TensorScope.Begin();
        using var linear = new Linear(D, [[1f, 2f, 4f], [0f, 0f, 3f]], bias: [0.1f, -0.2f], gain: Gain);
        var x = Tensor.FromArray(D, [1f, 0.5f, -1f], 1, 3);
        double s0 = Math.Sqrt(7.0001), s1 = Math.Sqrt(9.0001);
        double y0 = 2 * (-4 / 3.0 * 1 + -1 / 3.0 * 0.5 + 5 / 3.0 * -1) / s0 + 0.1;
        double y1 = 0.5 * (-1 * 1 + -1 * 0.5 + 2 * -1) / s1 - 0.2;
        Close.Relative([y0, y1], linear.Forward(x, new Pass()).ToArray(), 1e-5);
        Assert.Contains(linear.Gain!, linear.Parameters);

        // Conv2d: the layer's gradients agree with finite differences through the standardisation and the convolution.
        var input = Rand.Uniform(2 * 2 * 4 * 4, 31);
        var weight = Rand.Uniform(3 * 2 * 3 * 3, 32);
        var gain = new[] { 1.2f, 0.7f, 1.9f };
        GradientCheck.Assert(D, t => Ops.Conv2d(t[0], Ops.WeightStandardize(t[1], t[2]), null, 1, 1),
            [(input, [2, 2, 4, 4]), (weight, [3, 2, 3, 3]), (gain, [3])], eps: 1e-2, atol: 3e-3, rtol: 2e-2);
        using var conv = new Conv2d(D, new Random(3), 2, 3, 3, padding: 1, weightStandardization: true);
        Assert.Equal([1f, 1f, 1f], conv.Gain!.ToArray());
        Assert.Equal(3, conv.Parameters.Count);
    }

    [Theory]
    [InlineData(new[] { 1 }, "at least 2 weights")]
    [InlineData(new[] { 3 }, "rank")]
    public void Malformed_weights_are_refused_in_one_line(int[] shape, string message)
    {
        using var scope = TensorScope.Begin();
        var w = Tensor.Zeros(D, shape.Length == 1 && shape[0] == 1 ? [2, 1] : shape);
        var e = Assert.Throws<ArgumentException>(() => Ops.WeightStandardize(w, null));
        Assert.Contains(message == "rank" ? "[out, ...]" : message, e.Message, StringComparison.Ordinal);
    }
}
