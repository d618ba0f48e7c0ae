using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// One layer of a spiking network. Layers are stateless between sequences except neurons, whose state the network
/// resets automatically at the start of every sequence. A layer knows no training method: an estimator that changes
/// how a layer runs wraps it in an adapter of its own (see <c>IlgpuSnn.Estimators.LayerAdapter</c>).
/// </summary>
public abstract class Layer : IDisposable
{
    /// <summary>A short name, unique within a network (used for parameter names in checkpoints).</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Trainable parameters.</summary>
    public virtual IReadOnlyList<Tensor> Parameters => [];

    /// <summary>Non-trainable tensors that are part of the model (e.g. BatchNorm running statistics).</summary>
    public virtual IReadOnlyList<Tensor> Buffers => [];

    /// <summary>The per-sample output shape for a per-sample input shape (no batch or time axis).</summary>
    /// <param name="inputShape">Per-sample input shape.</param>
    /// <returns>The per-sample output shape.</returns>
    /// <exception cref="ArgumentException">The layer cannot take an input of that shape.</exception>
    public abstract int[] OutputShape(int[] inputShape);

    /// <summary>Runs the layer, with graph when a tape records.</summary>
    /// <param name="x">Input [N, ...] with N = <see cref="Pass.TimeSteps"/>·B.</param>
    /// <param name="pass">The pass this call belongs to.</param>
    /// <returns>The output [N, ...] (a new tensor).</returns>
    public abstract Tensor Forward(Tensor x, Pass pass);

    /// <summary>Forgets any state carried between time steps (called by the network at every new sequence).</summary>
    public virtual void ResetState()
    {
    }

    /// <summary>Frees parameters, buffers and state.</summary>
    public virtual void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        foreach (var b in Buffers) b.Dispose();
        GC.SuppressFinalize(this);
    }
}
