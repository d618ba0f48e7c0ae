using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A parameter-free layer that only moves or pools activity (pooling, flatten, dropout). Methods that carry a trace
/// beside the spikes (OTTT) apply it to the trace the same way.
/// </summary>
public abstract class ShapeLayer : Layer
{
    /// <summary>The operation on one tensor.</summary>
    /// <param name="x">Input [N, ...].</param>
    /// <param name="pass">The pass this call belongs to.</param>
    /// <returns>The output (a new tensor).</returns>
    protected abstract Tensor Apply(Tensor x, Pass pass);

    /// <inheritdoc />
    public sealed override Tensor Forward(Tensor x, Pass pass) => Apply(x, pass);
}
