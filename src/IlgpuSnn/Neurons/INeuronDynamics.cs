namespace IlgpuSnn.Neurons;

/// <summary>
/// The device-side contract of a neuron whose state between steps is one post-reset potential v, implemented by a
/// struct and compiled into the fused kernels as a type parameter (no virtual calls on the device). One step:
/// charge u[t] = f(v[t−1], I[t]); fire s[t] = H(z[t]) with z[t] = <see cref="Overshoot"/>(u[t]) and the surrogate
/// σ'(z[t]) in the backward; reset v[t] = <see cref="Reset"/>(u[t], s[t]).
/// The charge must be affine in I with a slope that may depend on v: the derivatives are functions of v[t−1] only.
/// A neuron may have one learnable scalar θ per layer (PLIF's decay); the others return 0 from
/// <see cref="ChargeParameterDerivative"/>. Every method must be plain float arithmetic (no managed objects) so that
/// ILGPU compiles it for the CPU, PTX and OpenCL, and the struct's fields blittable (float, int; not bool), since it is
/// passed to the kernels as a parameter; the struct must be public.
/// </summary>
public interface INeuronDynamics
{
    /// <summary>
    /// Takes the layer's learnable θ as read on the device: each kernel thread calls it once on its own copy of the
    /// struct before any other method, so θ never travels through the host. Neurons without a parameter do nothing.
    /// </summary>
    /// <param name="parameter">θ.</param>
    void BindParameter(float parameter);

    /// <summary>The pre-reset potential u = f(v, I) from the previous post-reset potential and the input current.</summary>
    /// <param name="v">Post-reset potential of the previous step (0 at the start of a sequence).</param>
    /// <param name="current">The input current I of this step.</param>
    /// <returns>The pre-reset potential u.</returns>
    float Charge(float v, float current);

    /// <summary>∂u[t]/∂v[t−1] at the previous potential <paramref name="v"/>.</summary>
    /// <param name="v">Post-reset potential of the previous step.</param>
    /// <returns>The derivative.</returns>
    float ChargeStateDerivative(float v);

    /// <summary>∂u[t]/∂I[t] at the previous potential <paramref name="v"/>.</summary>
    /// <param name="v">Post-reset potential of the previous step.</param>
    /// <returns>The derivative.</returns>
    float ChargeCurrentDerivative(float v);

    /// <summary>∂u[t]/∂θ for the layer's learnable scalar θ (0 for neurons without one).</summary>
    /// <param name="v">Post-reset potential of the previous step.</param>
    /// <returns>The derivative.</returns>
    float ChargeParameterDerivative(float v);

    /// <summary>z = u − Vth: the neuron fires when z ≥ 0, and the surrogate derivative is taken at z.</summary>
    /// <param name="u">The pre-reset potential.</param>
    /// <returns>The distance above the threshold.</returns>
    float Overshoot(float u);

    /// <summary>The post-reset potential v from the pre-reset potential and the spike (0 or 1).</summary>
    /// <param name="u">The pre-reset potential.</param>
    /// <param name="spike">The spike s of this step.</param>
    /// <returns>The post-reset potential v.</returns>
    float Reset(float u, float spike);

    /// <summary>
    /// dv[t]/du[t] for the backward, including the path through the spike (∂v/∂s·σ') unless the reset is detached.
    /// </summary>
    /// <param name="u">The pre-reset potential (0 unless <see cref="BackwardNeeds"/> asks for it).</param>
    /// <param name="spike">The spike (0 unless <see cref="BackwardNeeds"/> asks for spikes or the potential).</param>
    /// <param name="surrogate">σ'(z) of this step.</param>
    /// <returns>The derivative.</returns>
    float ResetDerivative(float u, float spike, float surrogate);

    /// <summary>What the backward reads besides σ' (host side: decides what the forward keeps).</summary>
    NeuronBackwardNeeds BackwardNeeds { get; }
}
