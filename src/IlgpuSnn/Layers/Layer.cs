using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// One layer of a spiking network. Layers are stateless between sequences except neurons, whose state the network
/// resets automatically at the start of every sequence.
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
    public abstract int[] OutputShape(int[] inputShape);

    /// <summary>
    /// Runs the layer. <paramref name="x"/> is [N, ...] with N = T·B in sequence mode and B otherwise.
    /// <paramref name="trace"/> is the presynaptic trace travelling beside the spikes in OTTT mode (else null); the
    /// layer returns the trace of its output in <paramref name="traceOut"/>.
    /// </summary>
    public abstract Tensor Forward(Tensor x, Tensor? trace, Pass pass, out Tensor? traceOut);

    /// <summary>Forgets any state carried between time steps (called by the network at every new sequence).</summary>
    public virtual void ResetState(int batchSize)
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
