using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A parameter-free linear layer (pooling, flatten, dropout) applied identically to the spikes and, in OTTT mode, to
/// the trace travelling beside them.
/// </summary>
public abstract class ShapeLayer : Layer
{
    /// <summary>The operation on one tensor.</summary>
    protected abstract Tensor Apply(Tensor x, Pass pass);

    /// <inheritdoc />
    public sealed override Tensor Forward(Tensor x, Tensor? trace, Pass pass, out Tensor? traceOut)
    {
        traceOut = trace is null ? null : Apply(trace, pass);
        return Apply(x, pass);
    }
}
