namespace IlgpuSnn.Neurons;

/// <summary>
/// A neuron model backed by the two-state struct <typeparamref name="TNeuron"/> (<see cref="IAdaptiveNeuronDynamics"/>),
/// which the fused adaptive-neuron kernels are compiled with on every backend. A layer of it carries two state
/// variables per neuron (<see cref="NeuronModel.StateVariables"/> = 2), has no learnable parameter, and is trained by
/// BPTT, TT-LBPTT and SLTT (OTTT, SAF and RateBP rest on a one-state linear leak and refuse it).
/// </summary>
/// <typeparam name="TNeuron">The struct implementing the dynamics on the device.</typeparam>
public abstract class AdaptiveNeuronModel<TNeuron> : NeuronModel
    where TNeuron : struct, IAdaptiveNeuronDynamics
{
    /// <summary>Names the model.</summary>
    /// <param name="name">The name (case-insensitive).</param>
    protected AdaptiveNeuronModel(string name) : base(name, 2)
    {
    }

    /// <summary>The device struct for <paramref name="spec"/>.</summary>
    /// <param name="spec">The layer's neuron parameters.</param>
    /// <returns>The struct the kernels receive.</returns>
    public abstract TNeuron Create(NeuronSpec spec);

    /// <inheritdoc />
    public sealed override bool HasParameter => false;

    /// <inheritdoc />
    public sealed override bool IsLinearLeak(NeuronSpec spec) => false;

    /// <inheritdoc />
    public sealed override bool SupportsRateRecursion(NeuronSpec spec) => false;

    internal sealed override TResult Accept<TResult>(INeuronVisitor<TResult> visitor, NeuronSpec spec) =>
        spec.Surrogate.Family.AcceptAdaptive(visitor, Create(spec), spec.Surrogate.Alpha);
}
