// A neuron the library does not ship, defined in one file: the struct the fused kernels are compiled with, and its model.
using IlgpuSnn.Neurons;

namespace CustomNeuron;

/// <summary>
/// SpikingJelly's default LIF (decay_input=True): u[t] = v[t−1] + (I[t] − v[t−1])/τ, s = H(u − Vth), soft reset
/// v = u − Vth·s. Its derivatives are constants, so the backward keeps only σ'.
/// </summary>
/// Its fields must be blittable (float, int; no bool or references): the struct is a kernel parameter.
public readonly struct DecayInputLifNeuron(float tau, float threshold, int detachReset) : INeuronDynamics
{
    public void BindParameter(float parameter)
    {
    }

    public float Charge(float v, float current) => v + (current - v) / tau;
    public float ChargeStateDerivative(float v) => 1f - 1f / tau;
    public float ChargeCurrentDerivative(float v) => 1f / tau;
    public float ChargeParameterDerivative(float v) => 0f;
    public float Overshoot(float u) => u - threshold;
    public float Reset(float u, float spike) => u - threshold * spike;
    public float ResetDerivative(float u, float spike, float surrogate) => detachReset != 0 ? 1f : 1f - threshold * surrogate;
    public NeuronBackwardNeeds BackwardNeeds => NeuronBackwardNeeds.None;
}

/// <summary>The model: τ = 1/(1 − λ) from the spec's decay, its threshold and reset detachment.</summary>
public sealed class DecayInputLifModel() : NeuronModel<DecayInputLifNeuron>("decay-input-lif")
{
    public static readonly DecayInputLifModel Instance = new();

    public override DecayInputLifNeuron Create(NeuronSpec spec, float parameter) =>
        new(1f / (1f - spec.Decay), spec.Threshold, spec.DetachReset ? 1 : 0);
}
