using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>A network as one method runs it for one sequence: every layer wrapped in the method's adapter.</summary>
public sealed class AdaptedNetwork : IDisposable
{
    private readonly LayerAdapter[] adapters;

    /// <summary>Wraps every layer of <paramref name="network"/> with <paramref name="adapt"/>.</summary>
    /// <param name="network">The network.</param>
    /// <param name="adapt">The method's adapter for a layer; it throws for a layer the method has no form for.</param>
    /// <exception cref="NotSupportedException">The method has no form for one of the layers.</exception>
    public AdaptedNetwork(SpikingNetwork network, Func<Layer, LayerAdapter> adapt)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(adapt);
        Network = network;
        var made = new List<LayerAdapter>(network.Layers.Count);
        try
        {
            foreach (var layer in network.Layers) made.Add(adapt(layer));
        }
        catch
        {
            foreach (var a in made) a.Dispose();
            throw;
        }
        adapters = [.. made];
    }

    /// <summary>The network.</summary>
    public SpikingNetwork Network { get; }

    /// <summary>The adapters, one per layer of <see cref="Network"/>.</summary>
    public IReadOnlyList<LayerAdapter> Adapters => adapters;

    /// <summary>Runs layers [<paramref name="from"/>, <paramref name="to"/>) through their adapters.</summary>
    /// <param name="from">First layer index.</param>
    /// <param name="to">One past the last layer index.</param>
    /// <param name="x">Input [N, ...].</param>
    /// <param name="pass">The pass.</param>
    /// <returns>The last output (a new tensor).</returns>
    /// <remarks>
    /// A BatchNorm directly followed by a neuron layer, both run as they are (plain adapters), runs fused when the
    /// network's <see cref="SpikingNetwork.FuseBatchNorm"/> says so.
    /// </remarks>
    public Tensor Run(int from, int to, Tensor x, Pass pass) =>
        SpikingNetwork.RunLayers(from, to, x, (i, v) => adapters[i].Forward(v, pass), Network.FuseBatchNorm ? (i, v) => ForwardPair(i, v, pass) : null);

    private Tensor? ForwardPair(int i, Tensor x, Pass pass) =>
        adapters[i].RunsLayerAsIs && adapters[i + 1].RunsLayerAsIs ? BatchNormNeuronFusion.TryForward(adapters[i].Layer, adapters[i + 1].Layer, x, pass) : null;

    /// <summary>Frees every adapter's state.</summary>
    public void Dispose()
    {
        foreach (var a in adapters) a.Dispose();
    }
}
