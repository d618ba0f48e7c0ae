using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A BatchNorm directly followed by a neuron layer, run as one pass (<see cref="Ops.BatchNormNeuronSequence"/>): the
/// BatchNorm pass only takes the per-channel statistics and the neuron kernel normalises its input as it reads it, so
/// BatchNorm's output and x̂ are never written (one launch and two tensors' traffic fewer per pair; x kept for the
/// backward instead of x̂), with the same results float for float. It applies where both layers run as they are with
/// time folded into the batch (<see cref="SpikingNetwork.Forward"/>, bptt, tt-lbptt), to a BatchNorm without a
/// statistics reducer and a feed-forward neuron layer of a one-state neuron (LIF, IF, PLIF); every other pair runs
/// layer by layer, as does every pair when <see cref="SpikingNetwork.FuseBatchNorm"/> is off.
/// </summary>
internal static class BatchNormNeuronFusion
{
    /// <summary>Runs <paramref name="first"/> and <paramref name="second"/> as one when they fuse.</summary>
    /// <param name="first">The first layer.</param>
    /// <param name="second">The layer directly after it.</param>
    /// <param name="x">The first layer's input.</param>
    /// <param name="pass">The pass.</param>
    /// <returns>The second layer's output, or null when the pair does not fuse (run them one by one).</returns>
    public static Tensor? TryForward(Layer first, Layer second, Tensor x, Pass pass) =>
        first is BatchNorm { StatisticsReducer: null } norm && second is NeuronLayer { Recurrent: null } neuron && Ops.NormalizesNeuronInput(neuron.Spec)
            ? neuron.ForwardNormalized(norm, x, pass)
            : null;
}
