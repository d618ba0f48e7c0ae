using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Dense;

/// <summary>
/// The CPU's implicit-GEMM convolution forward (<see cref="Gemm.RunImplicitForward"/>: op(B) packed from the image
/// through the window, C written into NCHW planes) against a plain double-precision loop over the window.
/// </summary>
public sealed class ImplicitConvTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    [Theory]
    // images, channels, height, width, out channels, kh, kw, stride, padding, alpha, beta
    [InlineData(1, 3, 5, 7, 5, 3, 3, 1, 1, 1f, 0f)]          // one image, odd sizes
    [InlineData(3, 29, 9, 11, 13, 3, 3, 2, 1, 1f, 0f)]       // inner 261 crosses the inner block (256), stride 2
    [InlineData(7, 2, 13, 6, 40, 1, 1, 1, 0, 1f, 0f)]        // 1x1 kernel
    [InlineData(2, 4, 10, 9, 17, 3, 2, 2, 0, 0.5f, -0.75f)]  // no padding, stride 2, non-square window, alpha and beta
    [InlineData(60, 3, 8, 7, 14, 3, 3, 1, 1, 1f, 1f)]        // 3,360 columns: column blocks (1024), tiles across images
    [InlineData(5, 2, 4, 3, 101, 3, 3, 1, 2, -1f, 0.5f)]     // 101 rows cross the row block (96); padding 2 > window edge
    public void Forward_matches_loops_over_the_window(int images, int c, int h, int w, int o, int kh, int kw, int stride, int padding, float alpha, float beta)
    {
        if (!D.Launch.IsCpu) Assert.Skip($"the implicit GEMM reads host pointers and runs on the CPU accelerator only, not on {D}");
        int ho = (h + 2 * padding - kh) / stride + 1, wo = (w + 2 * padding - kw) / stride + 1;
        var x = Rand.Uniform(images * c * h * w, 61);
        var wt = Rand.Uniform(o * c * kh * kw, 62);
        var y0 = Rand.Uniform(images * o * ho * wo, 63);
        var expected = new double[y0.Length];
        for (int n = 0; n < images; n++)
            for (int oc = 0; oc < o; oc++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++)
                    {
                        double s = 0;
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = oh * stride - padding + i, iw = ow * stride - padding + j;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                                        s += (double)x[((n * c + ic) * h + ih) * w + iw] * wt[((oc * c + ic) * kh + i) * kw + j];
                                }
                        int e = ((n * o + oc) * ho + oh) * wo + ow;
                        expected[e] = alpha * s + beta * (double)y0[e];
                    }
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(D, x, x.Length);
        var tw = Tensor.FromArray(D, wt, wt.Length);
        var ty = Tensor.FromArray(D, y0, y0.Length);
        Gemm.RunImplicitForward(D, tw.View, tx.View, ty.View, o, new HostIm2Col.ConvShape(images, c, h, w, kh, kw, stride, padding, ho, wo), alpha, beta);
        Close.Within(expected, ty.ToArray(), 1e-5, 1e-4);
    }
}
