using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Diagnostics;

/// <summary>What one spiking layer did over one sample: its spikes and membrane potentials at every step, [T][neurons].</summary>
/// <param name="LayerIndex">Index of the layer in <see cref="SpikingNetwork.Layers"/>.</param>
/// <param name="Spikes">Spikes per step and neuron (0 or 1).</param>
/// <param name="Membrane">Membrane potential per step and neuron after the step (after the reset of neurons that fired).</param>
public sealed record LayerTrace(int LayerIndex, float[][] Spikes, float[][] Membrane)
{
    /// <summary>Number of neurons.</summary>
    public int Neurons => Spikes.Length == 0 ? 0 : Spikes[0].Length;

    /// <summary>Mean spikes per neuron and step.</summary>
    public double FiringRate => Spikes.Length == 0 ? 0 : Spikes.Average(s => s.Average());
}

/// <summary>Records every spiking layer's spikes and membrane potentials while a network processes one sample step by step.</summary>
public static class NetworkProbe
{
    /// <summary>Runs <paramref name="sequence"/> ([T, 1, ...input shape]) through the network in evaluation mode, one step at a time (each neuron layer carries its state between the one-step passes).</summary>
    /// <param name="network">The network to probe; its neuron state is reset before and after.</param>
    /// <param name="sequence">The input [T, 1, ...input shape]: exactly one sample.</param>
    /// <returns>One trace per spiking (neuron) layer: its spikes and membrane potential at every step.</returns>
    /// <exception cref="ArgumentException">The sequence does not hold exactly one sample.</exception>
    public static IReadOnlyList<LayerTrace> Record(SpikingNetwork network, Tensor sequence)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Rank < 2 || sequence.Dim(1) != 1)
            throw new ArgumentException($"NetworkProbe.Record: the sequence {Tensor.Format(sequence.Shape)} must be [T, 1, ...] (one sample).");
        int steps = sequence.Dim(0);
        var spikes = network.NeuronLayerIndices.ToDictionary(i => i, _ => new List<float[]>());
        var membranes = network.NeuronLayerIndices.ToDictionary(i => i, _ => new List<float[]>());
        var index = network.NeuronLayerIndices.ToDictionary(i => network.Layers[i], i => i);
        using var noGrad = Tape.NoGrad();
        network.ResetState();
        var host = sequence.ToArray();
        int per = host.Length / steps;
        for (int t = 0; t < steps; t++)
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.FromArray(network.Device, host.AsSpan(t * per, per), [1, .. network.InputShape]);
            var pass = new Pass
            {
                Training = false, TimeSteps = 1, BatchSize = 1,
                OnSpikes = (layer, s) =>
                {
                    int i = index[layer];
                    spikes[i].Add(s.ToArray());
                    membranes[i].Add(layer.Membrane?.ToArray() ?? new float[s.Length]);
                },
            };
            network.Run(0, network.Layers.Count, x, pass).Dispose();
        }
        network.ResetState();
        return network.NeuronLayerIndices.Select(i => new LayerTrace(i, [.. spikes[i]], [.. membranes[i]])).ToList();
    }
}
