using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>The accumulated input x̂[t] = λ·x̂[t−1] + x[t] used by OTTT's all-trace form and by SAF.</summary>
internal static class InputTrace
{
    /// <summary>λ of the first neuron layer (the decay the input accumulates with).</summary>
    public static float FirstDecay(SpikingNetwork network) =>
        ((NeuronLayer)network.Layers[network.NeuronLayerIndices[0]]).Spec.Decay;

    /// <summary>Returns x̂[t] (owned by the caller, outside any scope) and disposes x̂[t−1].</summary>
    public static Tensor Advance(Tensor? previous, Tensor x, float decay)
    {
        using (Tape.NoGrad())
        using (TensorScope.Suspend())
        {
            var next = Ops.NextTrace(x, decay, previous);
            previous?.Dispose();
            return next;
        }
    }
}
