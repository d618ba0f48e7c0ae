using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Upper bound on the im2col buffer of one batch chunk, in floats; 0 (the default) takes the device's
    /// <see cref="LaunchPlan.ConvColumnFloats"/>. Tests lower it to force chunking.
    /// </summary>
    internal static long ConvColumnBudget { get; set; }

    /// <summary>
    /// 2-D convolution (cross-correlation) of x [N, C, H, W] with weight [O, C, kh, kw] and an optional bias [O]:
    /// returns [N, O, Ho, Wo] with Ho = (H + 2*padding - kh) / stride + 1 (likewise Wo). The forward runs on the CPU as
    /// one implicit GEMM (the packing reads x through the window, the result goes straight into the output), elsewhere
    /// as im2col + GEMM in batch chunks whose column buffer stays under the device's budget; the backward keeps only x
    /// and weight and, on the CPU, runs each gradient as one implicit GEMM (the weight gradient reads x through the
    /// window, the input gradient adds cache-sized column tiles into dx), elsewhere rebuilds the columns chunk by chunk. Differentiable in x, weight and bias.
    /// </summary>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="weight">Filters [O, C, kh, kw].</param>
    /// <param name="bias">Per-output-channel bias [O], or null.</param>
    /// <param name="stride">Step of the filter window in both directions.</param>
    /// <param name="padding">Zeros added on every side of each plane.</param>
    /// <returns>The output [N, O, (H + 2·padding − kh)/stride + 1, (W + 2·padding − kw)/stride + 1].</returns>
    /// <exception cref="ArgumentException">The shapes, stride or padding do not fit together.</exception>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0) =>
        Conv2d(x, weight, bias, stride, padding, null);

    /// <summary>
    /// <see cref="Conv2d(Tensor, Tensor, Tensor, int, int)"/> whose weight gradient is taken from
    /// <paramref name="weightGradientInput"/> (shaped like x) instead of x: OTTT's synapse, the value from the spikes and
    /// the weight gradient from their trace, in one convolution (the input gradient still reaches x).
    /// </summary>
    internal static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride, int padding, Tensor? weightGradientInput)
    {
        const string op = "Conv2d";
        var device = Check.SameDevice(op, x, weight, bias, weightGradientInput);
        if (weightGradientInput is not null) Check.SameShape(op, x, weightGradientInput);
        Check.Rank(op, x, 4, "x");
        Check.Rank(op, weight, 4, "weight");
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        int o = weight.Dim(0), kh = weight.Dim(2), kw = weight.Dim(3);
        if (weight.Dim(1) != c)
            throw new ArgumentException($"{op}: x {Tensor.Format(x.Shape)} has {c} channels but weight {Tensor.Format(weight.Shape)} expects {weight.Dim(1)}.");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != o))
            throw new ArgumentException($"{op}: bias {Tensor.Format(bias.Shape)} does not match weight {Tensor.Format(weight.Shape)} (expected [{o}]).");
        if (stride < 1 || padding < 0)
            throw new ArgumentException($"{op}: stride must be >= 1 and padding >= 0, got stride {stride}, padding {padding} for x {Tensor.Format(x.Shape)}.");
        int ho = h + 2 * padding - kh, wo = w + 2 * padding - kw;
        if (ho < 0 || wo < 0 || kh < 1 || kw < 1)
            throw new ArgumentException($"{op}: kernel {Tensor.Format(weight.Shape)} does not fit x {Tensor.Format(x.Shape)} with padding {padding}.");
        ho = ho / stride + 1;
        wo = wo / stride + 1;
        int spatial = ho * wo;
        int kdim = c * kh * kw;
        long budget = ConvColumnBudget > 0 ? ConvColumnBudget : device.Launch.ConvColumnFloats;
        int chunk = (int)Math.Clamp(budget / Math.Max(1L, (long)kdim * spatial), 1, Math.Max(n, 1));

        var y = Tensor.Empty(device, n, o, ho, wo);
        long xImage = (long)c * h * w, yImage = (long)o * spatial;
        // The CPU's implicit GEMMs take as many images at once as their int column count allows.
        int hostImages = Math.Max(1, (int)Math.Min(n, int.MaxValue / Math.Max(1, spatial)));
        if (n > 0 && device.Launch.UseHostKernels)
        {
            // CPU: one implicit GEMM per batch reads x through the window and writes y's planes (the bias first, added).
            if (bias is not null) BiasKernels.Broadcast(device, bias.View, y.View, o, spatial);
            for (int n0 = 0; n0 < n; n0 += hostImages)
            {
                int nb = Math.Min(hostImages, n - n0);
                Gemm.RunImplicitForward(device, weight.View, x.View.SubView(n0 * xImage, nb * xImage), y.View.SubView(n0 * yImage, nb * yImage), o,
                    new HostIm2Col.ConvShape(nb, c, h, w, kh, kw, stride, padding, ho, wo), 1f, bias is null ? 0f : 1f);
            }
        }
        else if (n > 0)
        {
            using var col = Tensor.Empty(device, kdim, chunk * spatial);
            using var res = Tensor.Empty(device, o, chunk * spatial);
            for (int n0 = 0; n0 < n; n0 += chunk)
            {
                int nb = Math.Min(chunk, n - n0);
                Im2Col.Forward(device, x.View.SubView(n0 * xImage, nb * xImage), col.View, nb, c, h, w, kh, kw, stride, padding, ho, wo);
                Gemm.Run(device, weight.View, col.View, res.View, o, nb * spatial, kdim, false, false);
                Im2Col.ChunkToNchw(device, res.View, bias is null ? default : bias.View, y.View.SubView(n0 * yImage, nb * yImage), nb, o, spatial);
            }
        }
        if (Tape.Begin(op, x, weight, bias) is not { } entry) return y;

        bool needX = x.RequiresGrad, needW = weight.RequiresGrad, needB = bias?.RequiresGrad ?? false;
        var sx = needW ? entry.Keep(weightGradientInput ?? x) : null;
        var sw = needX ? entry.Keep(weight) : null;
        var xShape = x.ShapeArray();
        var wShape = weight.ShapeArray();
        entry.Complete(y, g =>
        {
            var gy = g[0]!;
            Tensor? gx = needX ? Tensor.Empty(device, xShape) : null;
            // The weight gradient goes into the weight's gradient where it has one (a step after the first).
            var into = needW ? Tape.AccumulationTarget(weight) : null;
            Tensor? gw = needW && into is null ? Tensor.Empty(device, wShape) : null;
            var wTarget = into ?? gw;
            float firstBeta = into is null ? 0f : 1f;
            Tensor? gb = null;
            if ((needX || needW) && n > 0 && device.Launch.UseHostKernels)
            {
                // CPU: each gradient is one implicit GEMM over the batch (no column matrix, no layout copies).
                for (int n0 = 0; n0 < n; n0 += hostImages)
                {
                    int nb = Math.Min(hostImages, n - n0);
                    var shape = new HostIm2Col.ConvShape(nb, c, h, w, kh, kw, stride, padding, ho, wo);
                    var gySlice = gy.View.SubView(n0 * yImage, nb * yImage);
                    if (needW) Gemm.RunImplicitWeightGradient(device, gySlice, sx!.View.SubView(n0 * xImage, nb * xImage), wTarget!.View, o, shape, 1f, n0 == 0 ? firstBeta : 1f);
                    if (needX) Gemm.RunImplicitInputGradient(device, sw!.View, gySlice, gx!.View.SubView(n0 * xImage, nb * xImage), o, shape);
                }
            }
            else if ((needX || needW) && n > 0)
            {
                using var gyc = Tensor.Empty(device, o, chunk * spatial);
                using var col = needW ? Tensor.Empty(device, kdim, chunk * spatial) : null;
                using var gcol = needX ? Tensor.Empty(device, kdim, chunk * spatial) : null;
                for (int n0 = 0; n0 < n; n0 += chunk)
                {
                    int nb = Math.Min(chunk, n - n0);
                    Im2Col.NchwToChunk(device, gy.View.SubView(n0 * yImage, nb * yImage), gyc.View, nb, o, spatial);
                    if (needW)
                    {
                        Im2Col.Forward(device, sx!.View.SubView(n0 * xImage, nb * xImage), col!.View, nb, c, h, w, kh, kw, stride, padding, ho, wo);
                        Gemm.Run(device, gyc.View, col.View, wTarget!.View, o, kdim, nb * spatial, false, true, 1f, n0 == 0 ? firstBeta : 1f);
                    }
                    if (needX)
                    {
                        Gemm.Run(device, sw!.View, gyc.View, gcol!.View, kdim, nb * spatial, o, true, false);
                        Im2Col.Backward(device, gcol.View, gx!.View.SubView(n0 * xImage, nb * xImage), nb, c, h, w, kh, kw, stride, padding, ho, wo);
                    }
                }
            }
            else if (gw is not null)
            {
                Elementwise.Fill(device, gw.View, 0f);
            }
            if (needB)
            {
                gb = Tensor.Empty(device, o);
                using var partial = Tensor.Empty(device, Math.Max(n, 1), o);
                BiasKernels.SumPerChannel(device, gy.View, gb.View, partial.View, n, o, spatial);
            }
            return [gx, gw, gb];
        });
        return y;
    }
}
