using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Returns the values of <paramref name="value"/> while sending the gradient to <paramref name="gradientTarget"/>
    /// (same number of elements). This is how OTTT takes a layer's output value from spikes but its weight gradient from
    /// traces, and how SAF hands accumulations forward while gradients reach the spikes.
    /// </summary>
    /// <param name="value">The tensor whose values the result takes (treated as a constant).</param>
    /// <param name="gradientTarget">The tensor that receives the result's gradient, with as many elements as <paramref name="value"/>.</param>
    /// <returns>A new tensor with the values of <paramref name="value"/> whose gradient flows into <paramref name="gradientTarget"/>.</returns>
    public static Tensor WithGradientOf(Tensor value, Tensor gradientTarget) => WithGradientOf(value, gradientTarget, shareMemory: false);

    /// <summary>
    /// <see cref="WithGradientOf(Tensor, Tensor)"/>; with <paramref name="shareMemory"/> the result is a new handle on
    /// <paramref name="value"/>'s memory instead of a copy (no launch), for a value nobody changes while the result lives.
    /// </summary>
    internal static Tensor WithGradientOf(Tensor value, Tensor gradientTarget, bool shareMemory)
    {
        ArgumentNullException.ThrowIfNull(value);
        Check.SameDevice("WithGradientOf", value, gradientTarget);
        if (value.Length != gradientTarget.Length)
            throw new ArgumentException($"WithGradientOf: value {Tensor.Format(value.Shape)} and gradient target {Tensor.Format(gradientTarget.Shape)} differ in size.");
        Tensor y;
        using (Tape.NoGrad()) y = shareMemory ? value.Detach() : Clone(value.Detach());
        if (Tape.Begin("WithGradientOf", gradientTarget) is { } entry)
        {
            var shape = gradientTarget.ShapeArray();
            // The gradient passes unchanged: a view of it, no copy (the tape frees the output gradient's own handle).
            entry.Complete(y, g => [g[0]!.AliasInternal(shape)]);
        }
        return y;
    }
}
