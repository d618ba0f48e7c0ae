namespace IlgpuSnn.Neurons;

/// <summary>
/// The device-side contract of a neuron that carries a second, auxiliary state variable a besides the post-reset
/// potential v (an adaptive threshold, an adaptation current), compiled into its own fused kernels as a type parameter
/// like <see cref="INeuronDynamics"/>. One step, from the carried (v, a):
/// charge u = <see cref="Charge"/>(v, a, I); fire s = H(z), z = <see cref="Overshoot"/>(u, a) with ∂z/∂u = 1 and the
/// surrogate σ'(z) in the backward; reset v' = <see cref="Reset"/>(u, s, a); adapt a' = <see cref="Adapt"/>(a, u, s).
/// The charge must be affine in I. Every partial derivative below is taken with the other arguments held fixed; the
/// backward chains them (the spike's dependence on u and a goes through σ'), so a neuron only states its own partials.
/// No learnable parameter. Same rules as <see cref="INeuronDynamics"/>: plain float arithmetic, blittable fields
/// (float, int), a public struct.
/// </summary>
public interface IAdaptiveNeuronDynamics
{
    /// <summary>The pre-reset potential u from the carried state and the input current.</summary>
    /// <param name="v">Post-reset potential of the previous step.</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <param name="current">The input current I of this step.</param>
    /// <returns>The pre-reset potential u.</returns>
    float Charge(float v, float a, float current);

    /// <summary>∂u/∂v of <see cref="Charge"/>.</summary>
    /// <param name="v">Post-reset potential of the previous step.</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The derivative.</returns>
    float ChargeStateDerivative(float v, float a);

    /// <summary>∂u/∂I of <see cref="Charge"/>.</summary>
    /// <param name="v">Post-reset potential of the previous step.</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The derivative.</returns>
    float ChargeCurrentDerivative(float v, float a);

    /// <summary>∂u/∂a of <see cref="Charge"/>.</summary>
    /// <param name="v">Post-reset potential of the previous step.</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The derivative.</returns>
    float ChargeAuxiliaryDerivative(float v, float a);

    /// <summary>z: the neuron fires when z ≥ 0 (∂z/∂u must be 1: u minus a threshold that may depend on a).</summary>
    /// <param name="u">The pre-reset potential.</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The distance above the threshold.</returns>
    float Overshoot(float u, float a);

    /// <summary>∂z/∂a of <see cref="Overshoot"/>.</summary>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The derivative.</returns>
    float OvershootAuxiliaryDerivative(float a);

    /// <summary>The post-reset potential.</summary>
    /// <param name="u">The pre-reset potential.</param>
    /// <param name="spike">The spike s of this step (0 or 1).</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The post-reset potential v'.</returns>
    float Reset(float u, float spike, float a);

    /// <summary>∂v'/∂u of <see cref="Reset"/> at a fixed spike.</summary>
    /// <param name="u">The pre-reset potential.</param>
    /// <param name="spike">The spike of this step.</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The derivative.</returns>
    float ResetPotentialDerivative(float u, float spike, float a);

    /// <summary>∂v'/∂s of <see cref="Reset"/> (0 when the reset is detached from the backward).</summary>
    /// <param name="u">The pre-reset potential.</param>
    /// <param name="spike">The spike of this step.</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The derivative.</returns>
    float ResetSpikeDerivative(float u, float spike, float a);

    /// <summary>∂v'/∂a of <see cref="Reset"/> at a fixed spike.</summary>
    /// <param name="u">The pre-reset potential.</param>
    /// <param name="spike">The spike of this step.</param>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <returns>The derivative.</returns>
    float ResetAuxiliaryDerivative(float u, float spike, float a);

    /// <summary>The auxiliary state carried to the next step.</summary>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <param name="u">The pre-reset potential of this step.</param>
    /// <param name="spike">The spike of this step.</param>
    /// <returns>a'.</returns>
    float Adapt(float a, float u, float spike);

    /// <summary>∂a'/∂a of <see cref="Adapt"/>.</summary>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <param name="u">The pre-reset potential of this step.</param>
    /// <param name="spike">The spike of this step.</param>
    /// <returns>The derivative.</returns>
    float AdaptAuxiliaryDerivative(float a, float u, float spike);

    /// <summary>∂a'/∂u of <see cref="Adapt"/> at a fixed spike.</summary>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <param name="u">The pre-reset potential of this step.</param>
    /// <param name="spike">The spike of this step.</param>
    /// <returns>The derivative.</returns>
    float AdaptPotentialDerivative(float a, float u, float spike);

    /// <summary>∂a'/∂s of <see cref="Adapt"/>.</summary>
    /// <param name="a">Auxiliary state carried from the previous step.</param>
    /// <param name="u">The pre-reset potential of this step.</param>
    /// <param name="spike">The spike of this step.</param>
    /// <returns>The derivative.</returns>
    float AdaptSpikeDerivative(float a, float u, float spike);
}
