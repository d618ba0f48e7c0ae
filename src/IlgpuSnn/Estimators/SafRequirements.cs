using System.Runtime.CompilerServices;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// What SAF needs to be the LIF network it stands for, checked before a sequence: one λ for every neuron layer (the
/// accumulations and the per-step scale use a single λ), no max pooling (every op between neurons must be linear), and, with BatchNorm, an input that is constant over time (per-step
/// statistics of an accumulation equal those of the per-step inputs only then; with a time-varying input such as the
/// Poisson encoder they are not, and SAF would silently train another network). The input is read on the host for the
/// first sequence a network runs under SAF only: a training run feeds every batch through one encoder, which either keeps
/// the input constant over time or varies it from the first batch on, and later sequences then need no host round trip.
/// </summary>
internal static class SafRequirements
{
    private static readonly ConditionalWeakTable<SpikingNetwork, object> InputChecked = [];

    /// <summary>Throws <see cref="NotSupportedException"/> with one clear line when SAF cannot train this exactly.</summary>
    public static void Check(string method, SpikingNetwork network, Tensor input)
    {
        var decays = network.NeuronLayerIndices.Select(i => ((NeuronLayer)network.Layers[i]).Spec.Decay).Distinct().ToArray();
        if (decays.Length > 1)
            throw new NotSupportedException(
                $"{method}: the neuron layers have different decays λ ({string.Join(", ", decays)}); SAF accumulates with one λ. " +
                "Give every neuron layer the same decay, or train with ottt-o (SAF-E's gradient) or bptt.");
        if (network.Layers.OfType<MaxPool2d>().FirstOrDefault() is { } maxPool)
            throw new NotSupportedException(
                $"{method}: layer '{maxPool.Name}' is max pooling, which is not linear: the maximum of accumulated spikes is not the " +
                "accumulation of per-step maxima, so SAF would train another network. Use average pooling, or train with ottt-o or bptt.");
        if (!network.Layers.OfType<BatchNorm>().Any() || input.Dim(0) < 2 || InputChecked.TryGetValue(network, out _)) return;
        var host = input.ToArray();
        long perStep = host.Length / input.Dim(0);
        for (long i = perStep; i < host.Length; i++)
        {
            if (host[i] != host[i % perStep])
                throw new NotSupportedException(
                    $"{method}: BatchNorm with an input that changes over time (e.g. the poisson encoder) is not exact under SAF " +
                    "(the statistics of accumulations differ from those of per-step spikes). Use a constant input (--encoder direct), " +
                    "a network without BatchNorm, or train with ottt-o or bptt.");
        }
        InputChecked.AddOrUpdate(network, InputChecked);
    }
}
