using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Scaled weight standardisation (NF-Nets; the official OTTT networks' ScaledWSConv2d / ScaledWSLinear): each output
    /// unit's weights w (the row weight[o], of n = fan-in values) become gain[o]·(w − mean(w))/sqrt(var(w)·n + eps),
    /// var the unbiased variance, so that every unit's weights have mean 0 and variance ≈ 1/n whatever their scale.
    /// Differentiable in the weight and the gain.
    /// </summary>
    /// <param name="weight">Weight [out, ...] (Linear [out, in], Conv2d [out, in, k, k]); at least 2 values per row.</param>
    /// <param name="gain">Gain [out], or null for none (gain 1).</param>
    /// <param name="eps">Added to var·n (the official networks use 1e-4).</param>
    /// <returns>The standardised weight, shaped like <paramref name="weight"/>.</returns>
    /// <exception cref="ArgumentException">The shapes do not fit, a row has fewer than 2 values, or eps is not positive.</exception>
    public static Tensor WeightStandardize(Tensor weight, Tensor? gain, float eps = 1e-4f)
    {
        const string op = "WeightStandardize";
        var device = Check.SameDevice(op, weight, gain);
        if (weight.Rank < 2 || weight.Dim(0) == 0)
            throw new ArgumentException($"{op}: weight must be [out, ...] with at least one output, got {Tensor.Format(weight.Shape)}.", nameof(weight));
        int rows = weight.Dim(0);
        long fanIn = weight.Length / rows;
        if (fanIn < 2)
            throw new ArgumentException($"{op}: each output needs at least 2 weights for a variance, got {Tensor.Format(weight.Shape)}.", nameof(weight));
        if (gain is not null && (gain.Rank != 1 || gain.Dim(0) != rows))
            throw new ArgumentException($"{op}: gain must have shape [{rows}], got {Tensor.Format(gain.Shape)}.", nameof(gain));
        if (!(eps > 0f) || !float.IsFinite(eps)) throw new ArgumentException($"{op}: eps must be positive and finite, got {eps}.", nameof(eps));
        int n = checked((int)fanIn);
        var shape = weight.ShapeArray();
        var y = Tensor.Empty(device, shape);
        using var standardized = Tensor.Empty(device, shape);
        using var inverseScale = Tensor.Empty(device, rows);
        var gainView = gain?.View ?? default;
        WeightStandardizationKernels.Forward(device, weight.View, gainView, gain is not null, y.View, standardized.View, inverseScale.View, rows, n, eps);
        if (Tape.Begin(op, weight, gain) is not { } entry) return y;
        bool needWeight = weight.RequiresGrad, needGain = gain?.RequiresGrad ?? false;
        var keptStandardized = entry.Keep(standardized);
        var keptScale = entry.Keep(inverseScale);
        var keptGain = gain is null ? null : entry.Keep(gain);
        entry.Complete(y, g =>
        {
            var dy = g[0]!;
            var dw = Tensor.Empty(device, shape);
            var dgain = needGain ? Tensor.Empty(device, rows) : null;
            WeightStandardizationKernels.Backward(device, dy.View, keptStandardized.View, keptScale.View, keptGain?.View ?? default,
                keptGain is not null, dw.View, dgain?.View ?? default, rows, n);
            if (needWeight) return [dw, dgain];
            dw.Dispose();
            return [null, dgain];
        });
        return y;
    }
}
