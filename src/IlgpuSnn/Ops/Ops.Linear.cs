using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Fully connected layer: y = x weightᵀ + bias, with x [N, in], weight [out, in], bias [out] or null; returns
    /// [N, out]. Differentiable in x, weight and bias. The two products with x (the forward and the weight gradient)
    /// skip x's zero entries where x is sparse (spikes), measured per call inside the kernel (<see cref="SpikeGemm"/>);
    /// the input gradient is dense.
    /// </summary>
    /// <param name="x">Input [B, in].</param>
    /// <param name="weight">Weights [out, in].</param>
    /// <param name="bias">Bias [out], or null.</param>
    /// <returns>x·Wᵀ + b, [B, out].</returns>
    /// <exception cref="ArgumentException">The shapes do not fit together.</exception>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => Linear(x, weight, bias, null);

    /// <summary>
    /// <see cref="Linear(Tensor, Tensor, Tensor)"/> whose weight gradient is taken from <paramref name="weightGradientInput"/>
    /// (shaped like x) instead of x: OTTT's synapse, the value from the spikes and the weight gradient from their trace,
    /// in one product (the input gradient still reaches x).
    /// </summary>
    internal static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, Tensor? weightGradientInput)
    {
        const string op = "Linear";
        var device = Check.SameDevice(op, x, weight, bias, weightGradientInput);
        if (weightGradientInput is not null) Check.SameShape(op, x, weightGradientInput);
        Check.Rank(op, x, 2, "x");
        Check.Rank(op, weight, 2, "weight");
        int batch = x.Dim(0), inF = x.Dim(1), outF = weight.Dim(0);
        if (weight.Dim(1) != inF)
            throw new ArgumentException($"{op}: x {Tensor.Format(x.Shape)} has {inF} features but weight {Tensor.Format(weight.Shape)} expects {weight.Dim(1)}.");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != outF))
            throw new ArgumentException($"{op}: bias {Tensor.Format(bias.Shape)} does not match weight {Tensor.Format(weight.Shape)} (expected [{outF}]).");
        var y = Tensor.Empty(device, batch, outF);
        if (bias is not null)
        {
            BiasKernels.Broadcast(device, bias.View, y.View, outF, 1);
            SpikeGemm.Forward(device, x.View, weight.View, y.View, batch, outF, inF, 1f, 1f);
        }
        else
        {
            SpikeGemm.Forward(device, x.View, weight.View, y.View, batch, outF, inF);
        }
        if (Tape.Begin(op, x, weight, bias) is not { } entry) return y;
        bool needX = x.RequiresGrad, needW = weight.RequiresGrad, needB = bias?.RequiresGrad ?? false;
        var sx = needW ? entry.Keep(weightGradientInput ?? x) : null;
        var sw = needX ? entry.Keep(weight) : null;
        entry.Complete(y, g =>
        {
            var gy = g[0]!;
            Tensor? gx = null, gw = null, gb = null;
            if (needX)
            {
                gx = Tensor.Empty(device, batch, inF);
                Gemm.Run(device, gy.View, sw!.View, gx.View, batch, inF, outF, false, false);
            }
            if (needW)
            {
                // Into the weight's gradient where it has one (a step after the first), else a new tensor.
                var into = Tape.AccumulationTarget(weight);
                if (into is null) gw = Tensor.Empty(device, outF, inF);
                SpikeGemm.WeightGradient(device, gy.View, sx!.View, (into ?? gw)!.View, batch, outF, inF, 1f, into is null ? 0f : 1f);
            }
            if (needB)
            {
                gb = Tensor.Empty(device, outF);
                BiasKernels.SumPerChannel(device, gy.View, gb.View, default, batch, outF, 1);
            }
            return [gx, gw, gb];
        });
        return y;
    }
}
