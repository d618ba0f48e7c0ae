using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// What SAF needs to be the LIF network it stands for, checked before a sequence: one λ for every neuron layer (the
/// accumulations and the per-step scale use a single λ), and, with BatchNorm, an input that is constant over time (per-step
/// statistics of an accumulation equal those of the per-step inputs only then; with a time-varying input such as the
/// Poisson encoder they are not, and SAF would silently train another network).
/// </summary>
internal static class SafRequirements
{
    /// <summary>Throws <see cref="NotSupportedException"/> with one clear line when SAF cannot train this exactly.</summary>
    public static void Check(string method, SpikingNetwork network, Tensor input)
    {
        var decays = network.NeuronLayerIndices.Select(i => ((NeuronLayer)network.Layers[i]).Spec.Decay).Distinct().ToArray();
        if (decays.Length > 1)
            throw new NotSupportedException(
                $"{method}: the neuron layers have different decays λ ({string.Join(", ", decays)}); SAF accumulates with one λ. " +
                "Give every neuron layer the same decay, or train with ottt-o (SAF-E's gradient) or bptt.");
        if (!network.Layers.OfType<BatchNorm>().Any() || input.Dim(0) < 2) return;
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
    }
}
