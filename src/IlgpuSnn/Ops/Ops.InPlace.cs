using ILGPU;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>In-place updates of running sums and traces. They are never recorded on a tape.</summary>
public static partial class Ops
{
    /// <summary><paramref name="target"/> += <paramref name="x"/> (same length), without graph.</summary>
    /// <param name="target">The running sum, updated in place.</param>
    /// <param name="x">What is added.</param>
    /// <exception cref="ArgumentException">The lengths differ or the tensors live on different devices.</exception>
    public static void AddInPlace(Tensor target, Tensor x)
    {
        var device = InPlaceDevice("AddInPlace", target, x);
        Elementwise.AddInPlace(device, target.View, x.View);
    }

    /// <summary>
    /// <paramref name="target"/> = <paramref name="decay"/>·<paramref name="previous"/> + <paramref name="target"/>
    /// (same length), without graph: one step of a trace â[t] = λ·â[t−1] + x[t] written over x[t].
    /// </summary>
    /// <param name="target">x[t] on entry, â[t] on return.</param>
    /// <param name="decay">λ.</param>
    /// <param name="previous">â[t−1].</param>
    /// <exception cref="ArgumentException">The lengths differ or the tensors live on different devices.</exception>
    public static void DecayAddInPlace(Tensor target, float decay, Tensor previous)
    {
        var device = InPlaceDevice("DecayAddInPlace", target, previous);
        Elementwise.Axpby(device, decay, previous.View, 1f, target.View);
    }

    /// <summary>
    /// One step of a trace, without graph: â[t] = λ·â[t−1] + c·x[t] as a new tensor in one launch (the same values as
    /// <see cref="Clone"/> followed by <see cref="DecayAddInPlace"/> for c = 1); at the first step (no â[t−1]) c·x[t],
    /// which for c = 1 is x[t] itself, a new handle on its memory without a launch (x must then stay unchanged while
    /// the trace is used, as a step's input and spikes do).
    /// </summary>
    /// <param name="x">x[t].</param>
    /// <param name="decay">λ.</param>
    /// <param name="previous">â[t−1], or null at the first step.</param>
    /// <param name="inputScale">c, the factor of x[t].</param>
    /// <returns>â[t], a new tensor handle.</returns>
    internal static Tensor NextTrace(Tensor x, float decay, Tensor? previous, float inputScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (previous is null)
        {
            if (inputScale == 1f) return x.Detach();
            using (Autodiff.Tape.NoGrad()) return Scale(x, inputScale);
        }
        var device = InPlaceDevice("NextTrace", x, previous);
        var y = Tensor.Empty(device, x.ShapeArray());
        Elementwise.Combine(device, decay, previous.View, inputScale, x.View, y.View);
        return y;
    }

    /// <summary><paramref name="x"/> ·= <paramref name="s"/>, without graph.</summary>
    /// <param name="x">The tensor, updated in place.</param>
    /// <param name="s">The factor.</param>
    public static void ScaleInPlace(Tensor x, float s)
    {
        ArgumentNullException.ThrowIfNull(x);
        Check.Alive("ScaleInPlace", x);
        Elementwise.Unary(x.Device, x.View, x.View, UnaryOp.Scale, s);
    }

    /// <summary>Sets every element of <paramref name="x"/> to <paramref name="value"/>, without graph.</summary>
    /// <param name="x">The tensor, overwritten.</param>
    /// <param name="value">The value.</param>
    public static void FillInPlace(Tensor x, float value)
    {
        ArgumentNullException.ThrowIfNull(x);
        Check.Alive("FillInPlace", x);
        Elementwise.Fill(x.Device, x.View, value);
    }

    /// <summary>
    /// <paramref name="target"/> (+)= Σ_s slice s of <paramref name="x"/>: the <paramref name="count"/> consecutive slices,
    /// each as long as the target, added one after the other onto the target when <paramref name="accumulate"/>, else
    /// starting from the first slice; one launch, without graph.
    /// </summary>
    /// <param name="x">The slices, [count·n] elements.</param>
    /// <param name="target">The sum, n elements, updated in place.</param>
    /// <param name="count">Number of slices.</param>
    /// <param name="accumulate">Whether the sum is added to the target's values (else it replaces them).</param>
    internal static void SumStepsInto(Tensor x, Tensor target, int count, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(target);
        var device = Check.SameDevice("SumStepsInto", target, x);
        Elementwise.SumSlices(device, x.View, target.View, count, accumulate);
    }

    /// <summary>
    /// For every (target, source) pair at once: target = (replace ? 0 : target) + Σ_s slice s of source (its slices,
    /// each as long as the target, in order); one launch on the CPU accelerator, without graph. Targets must not overlap.
    /// </summary>
    /// <param name="pairs">The targets (updated in place), their sources, whether the sum replaces the target and the number of slices.</param>
    internal static void SumInto(params ReadOnlySpan<(Tensor Target, Tensor Source, bool Replace, int Slices)> pairs)
    {
        if (pairs.IsEmpty) return;
        var device = pairs[0].Target.Device;
        var views = new ElementwisePair[pairs.Length];
        for (int i = 0; i < pairs.Length; i++)
        {
            var (target, source, replace, slices) = pairs[i];
            Check.SameDevice("SumInto", target, source, pairs[0].Target);
            views[i] = new ElementwisePair(target.View, source.View, replace, slices);
        }
        Elementwise.AddPairs(device, views);
    }

    private static Device InPlaceDevice(string operation, Tensor target, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(x);
        var device = Check.SameDevice(operation, target, x);
        if (target.Length != x.Length)
            throw new ArgumentException($"{operation}: lengths differ ({target.Length} and {x.Length}).");
        return device;
    }

    /// <summary>
    /// Packs <paramref name="source"/>·<paramref name="s"/> into <paramref name="target"/> (a range of a larger flat
    /// buffer, e.g. a gradient bucket), without graph.
    /// </summary>
    /// <param name="source">The tensor read.</param>
    /// <param name="target">Where the scaled values go; as long as <paramref name="source"/>.</param>
    /// <param name="s">The factor.</param>
    internal static void ScaleInto(Tensor source, ArrayView<float> target, float s)
    {
        ArgumentNullException.ThrowIfNull(source);
        Check.Alive("ScaleInto", source);
        Elementwise.Unary(source.Device, source.View, target, UnaryOp.Scale, s);
    }

    /// <summary>Copies <paramref name="source"/> (a range of a larger flat buffer) into <paramref name="target"/>, without graph.</summary>
    /// <param name="source">The values read; as long as <paramref name="target"/>.</param>
    /// <param name="target">The tensor, overwritten.</param>
    internal static void CopyFrom(ArrayView<float> source, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Check.Alive("CopyFrom", target);
        Elementwise.Copy(target.Device, source, target.View);
    }
}
