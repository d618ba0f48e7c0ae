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
}
