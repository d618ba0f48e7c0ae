using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Autodiff;

/// <summary>
/// Linear and convolution weights that already have a gradient get the next one added inside the weight-gradient product
/// (<see cref="Tape.AccumulationTarget"/>: beta = 1 into <see cref="Tensor.Grad"/>), with no temporary and no
/// separate addition: the sums must equal a plain loop's, also when the weight is used twice in one pass.
/// </summary>
public sealed class WeightGradientAccumulationTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>Three passes through y = x·Wᵀ (x [rows, 3], W [2, 3]), the weight used twice in each: dW = Σ gᵀ·x by hand.</summary>
    [Fact]
    public void Linear_weight_gradients_add_up_over_passes_and_uses()
    {
        const int rows = 4, ins = 3, outs = 2;
        using var scope = TensorScope.Begin();
        var w = Tensor.FromArray(D, [0.5f, -1f, 2f, 1.5f, 0.25f, -0.75f], outs, ins).RequireGrad();
        var expected = new double[outs * ins];
        long firstPassLaunches = 0;
        for (int pass = 1; pass <= 3; pass++)
        {
            var x1 = Enumerable.Range(0, rows * ins).Select(i => (float)Math.Sin(i + pass)).ToArray();
            var x2 = Enumerable.Range(0, rows * ins).Select(i => (float)Math.Cos(2 * i - pass)).ToArray();
            var g = Enumerable.Range(0, rows * outs).Select(i => 0.5f * i - pass).ToArray();
            foreach (var x in (float[][])[x1, x2])
                for (int o = 0; o < outs; o++)
                    for (int i = 0; i < ins; i++)
                        for (int r = 0; r < rows; r++) expected[o * ins + i] += (double)g[r * outs + o] * x[r * ins + i];

            using var tape = new Tape();
            Tensor y;
            using (tape.Record())
                y = Ops.Add(Ops.Linear(Tensor.FromArray(D, x1, rows, ins), w, null), Ops.Linear(Tensor.FromArray(D, x2, rows, ins), w, null));
            var seed = Tensor.FromArray(D, g, rows, outs);
            long before = D.Activity.KernelLaunches;
            tape.Backward(y, seed);
            long launches = D.Activity.KernelLaunches - before;
            // Pass 1: the first product makes the gradient, the second adds into it; later passes add both: no extra launch.
            if (pass == 1) firstPassLaunches = launches;
            else Assert.Equal(firstPassLaunches, launches);

            var actual = w.Grad!.ToArray();
            for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 4);
        }
    }

    /// <summary>A convolution weight's gradient after two passes over the same batch is twice the first pass's.</summary>
    [Fact]
    public void Convolution_weight_gradients_add_up_over_passes()
    {
        using var scope = TensorScope.Begin();
        var rng = new Random(5);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => rng.NextSingle() * 2f - 1f).ToArray();
        var w = Tensor.FromArray(D, Random(3 * 2 * 3 * 3), 3, 2, 3, 3).RequireGrad();
        var x = Tensor.FromArray(D, Random(2 * 2 * 6 * 6), 2, 2, 6, 6);
        var seed = Tensor.FromArray(D, Random(2 * 3 * 6 * 6), 2, 3, 6, 6);
        float[]? first = null;
        for (int pass = 1; pass <= 2; pass++)
        {
            using var tape = new Tape();
            Tensor y;
            using (tape.Record()) y = Ops.Conv2d(x, w, null, padding: 1);
            tape.Backward(y, seed);
            if (pass == 1) first = w.Grad!.ToArray();
        }
        var twice = w.Grad!.ToArray();
        for (int k = 0; k < twice.Length; k++) Assert.Equal(2 * first![k], twice[k], 4);
    }
}
