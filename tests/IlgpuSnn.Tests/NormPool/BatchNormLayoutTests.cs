using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.NormPool;

/// <summary>
/// Training-mode BatchNorm, forward and backward, on shapes that reach every walk of the CPU host kernels: wide planes
/// (S ≥ 8) with vector tails and runs longer than one 2048-float piece, narrow planes (S = 1 after a linear layer,
/// S = 3) with more channels than one vector, partial 64-row blocks and more than one 512-position panel, and with
/// enough rows that the workers split the rows. Checked against plain double-precision loops, also with a large common
/// offset (cancellation), and for identical results on repeated runs.
/// </summary>
public sealed class BatchNormLayoutTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    public static TheoryData<int[]> Shapes => new()
    {
        (int[])[3, 2, 50, 45],  // S = 2250: a full 2048-float piece and a 202-float one
        (int[])[7, 5, 4, 7],    // S = 28: three vectors and a tail
        (int[])[2, 3, 3, 3],    // S = 9: one vector and a one-float tail
        (int[])[150, 37],       // S = 1: 37 lanes (tail 5), rows in blocks of 64, 64, 22
        (int[])[20, 1100],      // S = 1: more than one 512-position panel per worker
        (int[])[18, 200, 1, 3], // S = 3: panels of 170 channels
        (int[])[300, 600],      // S = 1, 5 blocks of rows: workers split the rows (two panels of positions)
        (int[])[200, 60, 1, 3], // S = 3, 4 blocks of rows: workers split the rows
    };

    private static (int N, int C, int S) Layout(int[] shape) => (shape[0], shape[1], shape.Length == 4 ? shape[2] * shape[3] : 1);

    /// <summary>The training forward and backward in double: y, mean, biased variance, dx, dgamma, dbeta.</summary>
    private static (double[] Y, double[] Mean, double[] Var, double[] Dx, double[] Dgamma, double[] Dbeta) Reference(
        float[] x, float[] dy, float[] gamma, float[] beta, int n, int c, int s, double eps)
    {
        var y = new double[x.Length];
        var dx = new double[x.Length];
        var mean = new double[c];
        var var = new double[c];
        var dgamma = new double[c];
        var dbeta = new double[c];
        double m = (double)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            IEnumerable<int> Elements() => Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, s).Select(j => (i * c + ch) * s + j));
            mean[ch] = Elements().Sum(e => (double)x[e]) / m;
            var[ch] = Elements().Sum(e => (x[e] - mean[ch]) * (x[e] - mean[ch])) / m;
            double sd = Math.Sqrt(var[ch] + eps);
            double sumDy = 0, sumDyXhat = 0;
            foreach (int e in Elements())
            {
                double xh = (x[e] - mean[ch]) / sd;
                y[e] = gamma[ch] * xh + beta[ch];
                sumDy += dy[e];
                sumDyXhat += dy[e] * xh;
            }
            dgamma[ch] = sumDyXhat;
            dbeta[ch] = sumDy;
            foreach (int e in Elements())
            {
                double xh = (x[e] - mean[ch]) / sd;
                dx[e] = gamma[ch] / sd * (dy[e] - sumDy / m - xh * sumDyXhat / m);
            }
        }
        return (y, mean, var, dx, dgamma, dbeta);
    }

    private static float[][] Run(Device device, float[] x, float[] dy, float[] gamma, float[] beta, int[] shape, float momentum, float eps)
    {
        int c = shape[1];
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(device, x, shape).RequireGrad();
        var tg = Tensor.FromArray(device, gamma, c).RequireGrad();
        var tb = Tensor.FromArray(device, beta, c).RequireGrad();
        var rm = Tensor.Zeros(device, c);
        var rv = Tensor.Full(device, 1f, c);
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.BatchNorm(tx, tg, tb, rm, rv, training: true, momentum, eps);
        tape.Backward(y, Tensor.FromArray(device, dy, shape));
        Ops.ChannelStatistics(tx, out var mean, out var variance);
        return [y.ToArray(), rm.ToArray(), rv.ToArray(), tx.Grad!.ToArray(), tg.Grad!.ToArray(), tb.Grad!.ToArray(), mean.ToArray(), variance.ToArray()];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_backward_and_statistics_match_double_loops(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        const float momentum = 0.3f, eps = 1e-5f;
        var gamma = Rand.Uniform(c, 41, 0.5f, 1.5f);
        var beta = Rand.Uniform(c, 42);
        var dy = Rand.Uniform(n * c * s, 43);
        foreach (float offset in new[] { 0f, 1000f })
        {
            var x = Rand.Uniform(n * c * s, 44, -2f, 3f).Select(v => v + offset).ToArray();
            var r = Reference(x, dy, gamma, beta, n, c, s, eps);
            var got = Run(D, x, dy, gamma, beta, shape, momentum, eps);
            double m = (double)n * s;
            string at = $"offset {offset}";
            // y and dx depend on x − mean, which float inputs near 1000 carry to about 6e-5 absolute.
            double tol = offset == 0 ? 2e-5 : 2e-3;
            Close.Relative(r.Y, got[0], tol, $"y, {at}");
            Close.Relative(r.Mean.Select(v => momentum * v), got[1], 1e-6, $"running mean, {at}");
            Close.Relative(r.Var.Select(v => (1 - momentum) + momentum * v * m / (m - 1)), got[2], offset == 0 ? 1e-5 : 1e-3, $"running variance, {at}");
            Close.Relative(r.Dx, got[3], offset == 0 ? 1e-4 : 2e-3, $"dx, {at}");
            Close.Relative(r.Dgamma, got[4], offset == 0 ? 1e-4 : 2e-3, $"dgamma, {at}");
            Close.Relative(r.Dbeta, got[5], 1e-5, $"dbeta, {at}");
            Close.Relative(r.Mean, got[6], 1e-6, $"mean, {at}");
            Close.Relative(r.Var, got[7], offset == 0 ? 1e-5 : 1e-3, $"variance, {at}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Repeated_runs_give_identical_results(int[] shape)
    {
        var (n, c, s) = Layout(shape);
        var x = Rand.Uniform(n * c * s, 45, -2f, 3f);
        var dy = Rand.Uniform(x.Length, 46);
        var gamma = Rand.Uniform(c, 47, 0.5f, 1.5f);
        var beta = Rand.Uniform(c, 48);
        var first = Run(D, x, dy, gamma, beta, shape, 0.1f, 1e-5f);
        var second = Run(D, x, dy, gamma, beta, shape, 0.1f, 1e-5f);
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Portable_kernels_agree_with_the_host_kernels(int[] shape)
    {
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        var (n, c, s) = Layout(shape);
        var x = Rand.Uniform(n * c * s, 49, -2f, 3f);
        var dy = Rand.Uniform(x.Length, 50);
        var gamma = Rand.Uniform(c, 51, 0.5f, 1.5f);
        var beta = Rand.Uniform(c, 52);
        var host = Run(D, x, dy, gamma, beta, shape, 0.1f, 1e-5f);
        var port = Run(portable, x, dy, gamma, beta, shape, 0.1f, 1e-5f);
        for (int i = 0; i < host.Length; i++) Close.Relative(port[i].Select(v => (double)v), host[i], 1e-4, $"output {i}");
    }
}
