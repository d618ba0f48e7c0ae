using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// What one training method changes about one layer: the method wraps each layer of the network in an adapter of its
/// own (a neuron stepper that cuts the temporal edge, a synapse that takes its weight gradient from a trace, a BatchNorm
/// that records statistics, ...) and runs the network through them. Layers themselves know no method. An adapter
/// may keep state for one sequence; it is created at the start of the sequence and disposed at its end.
/// </summary>
public abstract class LayerAdapter : IDisposable
{
    /// <summary>Wraps <paramref name="layer"/>.</summary>
    /// <param name="layer">The adapted layer.</param>
    /// <exception cref="ArgumentNullException"><paramref name="layer"/> is null.</exception>
    protected LayerAdapter(Layer layer) => Layer = layer ?? throw new ArgumentNullException(nameof(layer));

    /// <summary>The adapted layer.</summary>
    public Layer Layer { get; }

    /// <summary>Runs the layer the way the method needs.</summary>
    /// <param name="x">Input [N, ...].</param>
    /// <param name="pass">The pass (what every method shares).</param>
    /// <returns>The output (a new tensor).</returns>
    public abstract Tensor Forward(Tensor x, Pass pass);

    /// <summary>The layer as it is: <see cref="Layers.Layer.Forward"/> unchanged.</summary>
    /// <param name="layer">The layer.</param>
    /// <returns>An adapter that changes nothing.</returns>
    public static LayerAdapter Plain(Layer layer) => new PlainAdapter(layer);

    /// <summary>Whether this adapter runs its layer as it is (<see cref="Plain"/>), so that it may run fused with its neighbour.</summary>
    internal bool RunsLayerAsIs => this is PlainAdapter;

    /// <summary>The error for a layer a method has no form for (never silently another method's path).</summary>
    /// <param name="method">The method's name.</param>
    /// <param name="layer">The layer.</param>
    /// <returns>The exception to throw.</returns>
    public static NotSupportedException Unsupported(string method, Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new NotSupportedException(
            $"{method}: layer '{layer.Name}' ({layer.GetType().Name}) has no {method} form. This method knows neuron layers, " +
            "synaptic layers (SynapticLayer: Linear, Conv2d), BatchNorm and shape layers (ShapeLayer: pooling, flatten, dropout); " +
            "derive a new layer from one of these, or train the network with bptt or tt-lbptt.");
    }

    /// <summary>Frees the state the adapter keeps for its sequence (never the layer).</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    private sealed class PlainAdapter(Layer layer) : LayerAdapter(layer)
    {
        public override Tensor Forward(Tensor x, Pass pass) => Layer.Forward(x, pass);
    }
}
