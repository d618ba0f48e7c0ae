using IlgpuSnn.Distributed;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Mean firing rate of every spiking layer (spikes per neuron and step) over the passes it observes through
/// <see cref="Observe"/>, in the order of <see cref="SpikingNetwork.NeuronLayerIndices"/>.
/// </summary>
internal sealed class FiringRateMeter
{
    private readonly Dictionary<NeuronLayer, int> index;
    private readonly double[] spikes;
    private readonly double[] slots;

    public FiringRateMeter(SpikingNetwork network)
    {
        index = network.NeuronLayerIndices.Select((layer, k) => (Layer: (NeuronLayer)network.Layers[layer], k)).ToDictionary(p => p.Layer, p => p.k);
        spikes = new double[index.Count];
        slots = new double[index.Count];
    }

    /// <summary>Adds a layer's spikes (any shape; every element is one neuron at one step) — the pass's spike observer.</summary>
    public void Observe(NeuronLayer layer, Tensor s)
    {
        if (!index.TryGetValue(layer, out int k)) return;
        using var total = Ops.Sum(s);
        spikes[k] += total.Item();
        slots[k] += s.Length;
    }

    /// <summary>The rates, summed over the ranks of <paramref name="communicator"/> first when there are several.</summary>
    public IReadOnlyList<double> Rates(ICommunicator communicator)
    {
        var both = spikes.Concat(slots).ToArray();
        if (communicator.Size > 1) both = Replicas.Sum(communicator, both);
        int n = spikes.Length;
        return Enumerable.Range(0, n).Select(k => both[n + k] > 0 ? both[k] / both[n + k] : 0).ToArray();
    }
}
