namespace IlgpuSnn.Neurons;

/// <summary>
/// A kind of neuron: its name, which training methods its dynamics allow, its learnable parameter if any, and how a
/// <see cref="NeuronSpec"/> becomes the device struct the fused kernels run. Define one with
/// <see cref="NeuronModel{TNeuron}"/>; the built-in ones are <see cref="Lif"/> (also IF, λ = 1), <see cref="Plif"/> and <see cref="Alif"/> (two states, defined
/// with <see cref="AdaptiveNeuronModel{TNeuron}"/>).
/// </summary>
public abstract class NeuronModel
{
    private protected NeuronModel(string name, int stateVariables = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name.Trim().ToLowerInvariant();
        StateVariables = stateVariables;
    }

    /// <summary>LIF / IF: u = λ·v + I, fixed λ = <see cref="NeuronSpec.Decay"/> (see <see cref="LifNeuron"/>).</summary>
    public static NeuronModel Lif => LifNeuron.Model;

    /// <summary>PLIF: LIF with a learnable decay λ = sigmoid(w) per layer (see <see cref="PlifNeuron"/>).</summary>
    public static NeuronModel Plif => PlifNeuron.Model;

    /// <summary>ALIF with the default ρ and β: an adaptive threshold (see <see cref="AlifNeuron"/>).</summary>
    public static NeuronModel Alif => AlifNeuron.Model;

    /// <summary>The model's name (lower case), used in messages.</summary>
    public string Name { get; }

    /// <summary>
    /// State variables per neuron carried between steps: 1 (the potential v) or 2 (v and an auxiliary a, see
    /// <see cref="AdaptiveNeuronModel{TNeuron}"/>). A layer's state tensor is shaped like one step's input for 1, and
    /// [2, ...that shape] for 2 (plane 0 holds v, plane 1 holds a).
    /// </summary>
    public int StateVariables { get; }

    /// <summary>Whether a layer of this neuron owns one learnable scalar θ (a parameter of the network).</summary>
    public virtual bool HasParameter => false;

    /// <summary>θ at initialisation for <paramref name="spec"/> (only when <see cref="HasParameter"/>).</summary>
    /// <param name="spec">The layer's neuron parameters.</param>
    /// <returns>The initial θ.</returns>
    public virtual float InitialParameter(NeuronSpec spec) => 0f;

    /// <summary>
    /// Whether <paramref name="spec"/>'s charge is u = λ·v + I with the fixed λ = <see cref="NeuronSpec.Decay"/> and
    /// threshold <see cref="NeuronSpec.Threshold"/>: what OTTT's presynaptic trace â = λ·â + s rests on (SAF's
    /// accumulation identity needs soft reset besides). Methods that need it refuse other neurons.
    /// </summary>
    /// <param name="spec">The layer's neuron parameters.</param>
    /// <returns>True when the linear-leak identities hold.</returns>
    public virtual bool IsLinearLeak(NeuronSpec spec) => false;

    /// <summary>
    /// Whether RateBP's constant-input eligibility recursion e[t+1] = ∂u/∂I + e[t]·∂u/∂v·dv/du is its gradient
    /// (true unless the layer has a learnable parameter, which the rate pass would not train).
    /// </summary>
    /// <param name="spec">The layer's neuron parameters.</param>
    /// <returns>True when RateBP applies.</returns>
    public virtual bool SupportsRateRecursion(NeuronSpec spec) => !HasParameter;

    /// <summary>
    /// Calls the visitor with the device structs of <paramref name="spec"/> (neuron and surrogate); a learnable θ is
    /// bound later, on the device (<see cref="INeuronDynamics.BindParameter"/>).
    /// </summary>
    internal abstract TResult Accept<TResult>(INeuronVisitor<TResult> visitor, NeuronSpec spec);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// A neuron model backed by the struct <typeparamref name="TNeuron"/>, which the fused forward and backward kernels
/// are compiled with on every backend. A new neuron is one file: the struct and a subclass of this class.
/// </summary>
/// <typeparam name="TNeuron">The struct implementing the dynamics on the device.</typeparam>
public abstract class NeuronModel<TNeuron> : NeuronModel
    where TNeuron : struct, INeuronDynamics
{
    /// <summary>Names the model.</summary>
    /// <param name="name">The name (case-insensitive).</param>
    protected NeuronModel(string name) : base(name)
    {
    }

    /// <summary>
    /// The device struct for <paramref name="spec"/> and a θ. The kernels call it with θ = 0 and replace θ by the layer's current value on the device through <see cref="INeuronDynamics.BindParameter"/>.
    /// </summary>
    /// <param name="spec">The layer's neuron parameters.</param>
    /// <param name="parameter">θ (0 when the model has none).</param>
    /// <returns>The struct the kernels receive.</returns>
    public abstract TNeuron Create(NeuronSpec spec, float parameter);

    internal sealed override TResult Accept<TResult>(INeuronVisitor<TResult> visitor, NeuronSpec spec) =>
        spec.Surrogate.Family.Accept(visitor, Create(spec, 0f), spec.Surrogate.Alpha);
}
