using IlgpuSnn.Distributed;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Mean firing rate of every spiking layer (spikes per neuron and step) over the passes it observes through
/// <see cref="Observe"/>, in the order of <see cref="SpikingNetwork.NeuronLayerIndices"/>. Spike counts add up on the
/// device (float32: relative error about 1e-5 over a large test set), so observing never waits for the device; only
/// <see cref="Rates"/> reads them back.
/// </summary>
internal sealed class FiringRateMeter : IDisposable
{
    private readonly Dictionary<NeuronLayer, int> index;
    private readonly Tensor[] spikes;
    private readonly double[] slots;

    public FiringRateMeter(SpikingNetwork network)
    {
        index = network.NeuronLayerIndices.Select((layer, k) => (Layer: (NeuronLayer)network.Layers[layer], k)).ToDictionary(p => p.Layer, p => p.k);
        spikes = Enumerable.Range(0, index.Count).Select(_ => Tensor.Zeros(network.Device, 1)).ToArray();
        slots = new double[index.Count];
    }

    /// <summary>Adds a layer's spikes (any shape; every element is one neuron at one step) — the pass's spike observer.</summary>
    public void Observe(NeuronLayer layer, Tensor s)
    {
        if (!index.TryGetValue(layer, out int k)) return;
        using var total = Ops.Sum(s);
        using var flat = total.Reshape(1);
        Ops.AddInPlace(spikes[k], flat);
        slots[k] += s.Length;
    }

    /// <summary>The rates, summed over the ranks of <paramref name="communicator"/> first when there are several.</summary>
    public IReadOnlyList<double> Rates(ICommunicator communicator)
    {
        var both = spikes.Select(t => (double)t.Item()).Concat(slots).ToArray();
        if (communicator.Size > 1) both = Replicas.Sum(communicator, both);
        int n = spikes.Length;
        return Enumerable.Range(0, n).Select(k => both[n + k] > 0 ? both[k] / both[n + k] : 0).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in spikes) t.Dispose();
    }
}
