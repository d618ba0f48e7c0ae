using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Dense;

/// <summary>
/// The CPU's implicit-GEMM convolution gradients (<see cref="Gemm.RunImplicitWeightGradient"/>: the input read through
/// the window, summed over the whole batch; <see cref="Gemm.RunImplicitInputGradient"/>: column tiles added into dX)
/// against plain double-precision loops over the window, and the input gradient against the column matrix + col2im
/// path the portable kernels run (same values, same order: equal bits).
/// </summary>
public sealed class ImplicitConvGradientTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>Float sums of this many terms stay within this share of the sum of the terms' magnitudes.</summary>
    private const double Tolerance = 1e-5;

    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new()
    {
        // images, channels, height, width, out channels, kh, kw, stride, padding
        { 1, 3, 5, 7, 5, 3, 3, 1, 1 },      // one image, odd sizes
        { 3, 29, 9, 11, 13, 3, 3, 2, 1 },   // 261 rows of the column matrix, stride 2
        { 7, 2, 13, 6, 40, 1, 1, 1, 0 },    // 1x1 kernel
        { 2, 4, 10, 9, 17, 3, 2, 2, 0 },    // no padding, stride 2, non-square window
        { 37, 3, 8, 7, 14, 5, 5, 1, 2 },    // 5x5, 2,072 columns: several inner blocks, blocks across images
        { 5, 2, 4, 3, 101, 3, 3, 1, 2 },    // padding 2 > window edge, 101 output channels
        { 3, 90, 6, 6, 7, 3, 3, 1, 1 },     // 810 columns of the weight gradient: several column blocks per worker
        { 2, 1, 6, 6, 300, 3, 3, 1, 1 },    // 300 output channels: several row blocks per worker
        { 3, 6, 40, 37, 3, 5, 5, 1, 2 },    // a 25x1,480 column tile per channel: one channel per input-gradient tile
        { 1, 2, 3, 3, 2, 3, 3, 3, 0 },      // a single output per image
        { 2, 10, 40, 40, 5, 3, 3, 1, 1 },   // input-gradient tiles of 4 channels: groups 4, 4, 2 per image
        { 2, 40, 64, 64, 3, 1, 1, 1, 0 },   // 4,096 outputs per image (several column blocks), tiles of 12 channels
        { 6, 30, 20, 20, 40, 3, 3, 1, 1 },  // stride 1: the weight gradient's padded planes in two blocks of images
        { 3, 5, 7, 9, 8, 2, 4, 1, 3 },      // stride 1, padding 3 wider than the window, even sizes: reads past a padded row
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Weight_gradient_matches_loops_over_the_window(int images, int c, int h, int w, int o, int kh, int kw, int stride, int padding)
    {
        if (!D.Launch.IsCpu) Assert.Skip($"the implicit GEMM reads host pointers and runs on the CPU accelerator only, not on {D}");
        var (ho, wo) = Output(h, w, kh, kw, stride, padding);
        var x = Rand.Uniform(images * c * h * w, 71);
        var gy = Rand.Uniform(images * o * ho * wo, 72);
        var gw0 = Rand.Uniform(o * c * kh * kw, 73);
        foreach (var (alpha, beta) in new[] { (1f, 0f), (-0.5f, 0.75f) })
        {
            var expected = new double[gw0.Length];
            var magnitude = new double[gw0.Length];
            for (int oc = 0; oc < o; oc++)
                for (int ic = 0; ic < c; ic++)
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                        {
                            double s = 0, a = 0;
                            for (int n = 0; n < images; n++)
                                for (int oh = 0; oh < ho; oh++)
                                    for (int ow = 0; ow < wo; ow++)
                                    {
                                        int ih = oh * stride - padding + i, iw = ow * stride - padding + j;
                                        if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                        double p = (double)gy[((n * o + oc) * ho + oh) * wo + ow] * x[((n * c + ic) * h + ih) * w + iw];
                                        s += p;
                                        a += Math.Abs(p);
                                    }
                            int e = ((oc * c + ic) * kh + i) * kw + j;
                            expected[e] = alpha * s + beta * (double)gw0[e];
                            magnitude[e] = Math.Abs(alpha) * a + Math.Abs(beta * (double)gw0[e]);
                        }
            using var scope = TensorScope.Begin();
            var tx = Tensor.FromArray(D, x, x.Length);
            var tg = Tensor.FromArray(D, gy, gy.Length);
            var tw = Tensor.FromArray(D, gw0, gw0.Length);
            Gemm.RunImplicitWeightGradient(D, tg.View, tx.View, tw.View, o, new HostIm2Col.ConvShape(images, c, h, w, kh, kw, stride, padding, ho, wo), alpha, beta);
            AssertWithin(expected, magnitude, tw.ToArray(), $"dW (alpha {alpha}, beta {beta})");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Input_gradient_matches_loops_over_the_window(int images, int c, int h, int w, int o, int kh, int kw, int stride, int padding)
    {
        if (!D.Launch.IsCpu) Assert.Skip($"the implicit GEMM reads host pointers and runs on the CPU accelerator only, not on {D}");
        var (ho, wo) = Output(h, w, kh, kw, stride, padding);
        var wt = Rand.Uniform(o * c * kh * kw, 74);
        var gy = Rand.Uniform(images * o * ho * wo, 75);
        var expected = new double[images * c * h * w];
        var magnitude = new double[expected.Length];
        for (int n = 0; n < images; n++)
            for (int oc = 0; oc < o; oc++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++)
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = oh * stride - padding + i, iw = ow * stride - padding + j;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    double p = (double)gy[((n * o + oc) * ho + oh) * wo + ow] * wt[((oc * c + ic) * kh + i) * kw + j];
                                    int e = ((n * c + ic) * h + ih) * w + iw;
                                    expected[e] += p;
                                    magnitude[e] += Math.Abs(p);
                                }
        // Both register blocks: 6x16 of 256-bit vectors, and 12x32 of 512-bit ones where the CPU has AVX-512.
        foreach (bool wide in HostGemm.Wide ? new[] { false, true } : [false])
        {
            using var scope = TensorScope.Begin();
            var tw = Tensor.FromArray(D, wt, wt.Length);
            var tg = Tensor.FromArray(D, gy, gy.Length);
            var gx = Tensor.FromArray(D, Enumerable.Repeat(float.NaN, expected.Length).ToArray(), expected.Length);
            Gemm.RunImplicitInputGradient(D, tw.View, tg.View, gx.View, o, new HostIm2Col.ConvShape(images, c, h, w, kh, kw, stride, padding, ho, wo), wide);
            AssertWithin(expected, magnitude, gx.ToArray(), $"dX ({HostGemm.RowsOf(wide)}x{HostGemm.ColumnsOf(wide)} block)");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Input_gradient_equals_the_column_matrix_path_bit_for_bit(int images, int c, int h, int w, int o, int kh, int kw, int stride, int padding)
    {
        if (!D.Launch.IsCpu) Assert.Skip($"the implicit GEMM reads host pointers and runs on the CPU accelerator only, not on {D}");
        // The portable kernels' path: im2col of the batch chunk, the packed GEMM W^T·dY into the column matrix, col2im.
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        var (ho, wo) = Output(h, w, kh, kw, stride, padding);
        var x = Rand.Uniform(images * c * h * w, 76);
        var wt = Rand.Uniform(o * c * kh * kw, 77);
        var gy = Rand.Uniform(images * o * ho * wo, 78);
        float[] InputGradient(Device device)
        {
            using var scope = TensorScope.Begin();
            var tx = Tensor.FromArray(device, x, images, c, h, w).RequireGrad();
            var tw = Tensor.FromArray(device, wt, o, c, kh, kw);
            using var tape = new Tape();
            Tensor y;
            using (tape.Record()) y = Ops.Conv2d(tx, tw, null, stride, padding);
            tape.Backward(y, Tensor.FromArray(device, gy, y.ShapeArray()));
            return tx.Grad!.ToArray();
        }
        Assert.Equal(InputGradient(portable), InputGradient(D));
    }

    [Fact]
    public void Input_gradient_without_output_channels_is_zero()
    {
        if (!D.Launch.IsCpu) Assert.Skip($"the implicit GEMM reads host pointers and runs on the CPU accelerator only, not on {D}");
        using var scope = TensorScope.Begin();
        var shape = new HostIm2Col.ConvShape(2, 3, 4, 4, 3, 3, 1, 1, 4, 4);
        var gx = Tensor.FromArray(D, Enumerable.Repeat(float.NaN, 96).ToArray(), 96);
        Gemm.RunImplicitInputGradient(D, Tensor.Zeros(D, 1).View, Tensor.Zeros(D, 1).View, gx.View, 0, shape);
        Assert.All(gx.ToArray(), v => Assert.Equal(0f, v));
    }

    private static (int Ho, int Wo) Output(int h, int w, int kh, int kw, int stride, int padding) =>
        ((h + 2 * padding - kh) / stride + 1, (w + 2 * padding - kw) / stride + 1);

    /// <summary>|expected − actual| ≤ <see cref="Tolerance"/> · (sum of the magnitudes of the terms) + 1e-7, NaN fails.</summary>
    private static void AssertWithin(double[] expected, double[] magnitude, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = Tolerance * magnitude[i] + 1e-7;
            if (!(Math.Abs(expected[i] - actual[i]) <= bound))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:G9}, got {actual[i]:G9} (bound {bound:G3})");
        }
    }
}
