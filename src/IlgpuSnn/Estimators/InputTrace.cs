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

    /// <summary>
    /// Returns x̂[t]/N[t] (owned by the caller, outside any scope) from x̂[t−1]/N[t−1] and disposes the latter: the input
    /// trace at the scale of one step, x̂[t]/N[t] = (λ·N[t−1]/N[t])·(x̂[t−1]/N[t−1]) + x[t]/N[t], in one launch (none at
    /// the first step, whose trace is x[1] itself).
    /// </summary>
    public static Tensor AdvanceAtStepScale(Tensor? previous, Tensor x, float decay, float previousNorm, float norm)
    {
        using (Tape.NoGrad())
        using (TensorScope.Suspend())
        {
            if (previous is null && norm == 1f) return x.Detach();
            var next = Ops.NextTrace(x, decay * previousNorm / norm, previous, 1f / norm);
            previous?.Dispose();
            return next;
        }
    }

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
