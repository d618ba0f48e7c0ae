using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A layer whose weights multiply presynaptic activity (convolution, linear): a plain differentiable function of its
/// input plus an optional bias. Methods that change how such a layer runs (OTTT's trace gradient, SAF's per-step
/// scale) do so in their own adapters around it.
/// </summary>
public abstract class SynapticLayer : Layer
{
    /// <summary>Bias [out], or null.</summary>
    public abstract Tensor? Bias { get; }

    /// <summary>The operation with graph, as a plain differentiable function of its input.</summary>
    /// <param name="x">Input [N, ...].</param>
    /// <returns>The output (a new tensor).</returns>
    protected abstract Tensor Apply(Tensor x);

    /// <inheritdoc />
    public sealed override Tensor Forward(Tensor x, Pass pass)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Apply(x);
    }

    /// <summary>
    /// The op's value on <paramref name="x"/> with its weight gradient taken from <paramref name="weightGradientInput"/>
    /// (shaped like x; OTTT's presynaptic trace) and its input gradient reaching x. This general form evaluates the op
    /// twice (on the gradient input, with graph, and on x, without); Linear and Conv2d override it with one evaluation.
    /// </summary>
    /// <param name="x">Input [N, ...]: the value's input, which receives the input gradient.</param>
    /// <param name="weightGradientInput">What the weight gradient is taken from, shaped like x.</param>
    /// <returns>The output (a new tensor).</returns>
    internal virtual Tensor ForwardWithWeightGradientFrom(Tensor x, Tensor weightGradientInput)
    {
        using var carrier = Ops.WithGradientOf(weightGradientInput, x, shareMemory: true);
        using var gradientPath = Apply(carrier);
        Tensor value;
        using (Autodiff.Tape.NoGrad()) value = Apply(x);
        using (value) return Ops.WithGradientOf(value, gradientPath, shareMemory: true);
    }
}
