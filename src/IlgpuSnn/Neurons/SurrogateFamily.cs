using System.Globalization;

namespace IlgpuSnn.Neurons;

/// <summary>
/// A named surrogate function with a default shape parameter α: the host-side handle of an
/// <see cref="ISurrogateGradient"/> struct. Use <see cref="SurrogateFamily{TSurrogate}"/> to define one.
/// </summary>
public abstract class SurrogateFamily
{
    private protected SurrogateFamily(string name, float defaultAlpha, SurrogateKind kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!float.IsFinite(defaultAlpha) || defaultAlpha <= 0f)
            throw new ArgumentException(
                $"SurrogateFamily '{name}': the default alpha must be positive and finite, got {defaultAlpha.ToString(CultureInfo.InvariantCulture)}.",
                nameof(defaultAlpha));
        Name = name.Trim().ToLowerInvariant();
        DefaultAlpha = defaultAlpha;
        Kind = kind;
    }

    /// <summary>The name used by <see cref="Surrogate.Parse"/> and the command line (lower case).</summary>
    public string Name { get; }

    /// <summary>α when none is given.</summary>
    public float DefaultAlpha { get; }

    /// <summary>The built-in kind, or <see cref="SurrogateKind.Custom"/>.</summary>
    public SurrogateKind Kind { get; }

    /// <summary>σ'(z) for shape parameter <paramref name="alpha"/> (the code the kernels run).</summary>
    /// <param name="alpha">The shape parameter α.</param>
    /// <param name="z">The distance of the pre-reset potential above the threshold.</param>
    /// <returns>The surrogate derivative.</returns>
    public abstract float Derivative(float alpha, float z);

    /// <summary>The step whose derivative is <see cref="Derivative"/>, rising from 0 to 1.</summary>
    /// <param name="alpha">The shape parameter α.</param>
    /// <param name="z">The distance of the pre-reset potential above the threshold.</param>
    /// <returns>The primitive's value.</returns>
    public abstract float Primitive(float alpha, float z);

    /// <summary>Calls the visitor with the neuron and this family's struct for α (the device types become known).</summary>
    internal abstract TResult Accept<TResult, TNeuron>(INeuronVisitor<TResult> visitor, TNeuron neuron, float alpha)
        where TNeuron : struct, INeuronDynamics;

    /// <summary>As <see cref="Accept"/> for a two-state neuron.</summary>
    internal abstract TResult AcceptAdaptive<TResult, TNeuron>(INeuronVisitor<TResult> visitor, TNeuron neuron, float alpha)
        where TNeuron : struct, IAdaptiveNeuronDynamics;

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// A surrogate family backed by the struct <typeparamref name="TSurrogate"/>, which the fused kernels are compiled
/// with. A new surrogate is one file: the struct and a static instance of this class
/// (see <see cref="SigmoidSurrogate.Family"/>); register it with <see cref="Surrogate.Register"/> to make it
/// available by name.
/// </summary>
/// <typeparam name="TSurrogate">The struct implementing the surrogate on the device.</typeparam>
public sealed class SurrogateFamily<TSurrogate> : SurrogateFamily
    where TSurrogate : struct, ISurrogateGradient
{
    private readonly Func<float, TSurrogate> create;

    /// <summary>Defines a surrogate family.</summary>
    /// <param name="name">Its name (case-insensitive).</param>
    /// <param name="defaultAlpha">α when none is given (positive).</param>
    /// <param name="create">Builds the device struct for a given α.</param>
    /// <exception cref="ArgumentException">Empty name or invalid default α.</exception>
    public SurrogateFamily(string name, float defaultAlpha, Func<float, TSurrogate> create)
        : this(name, defaultAlpha, create, SurrogateKind.Custom)
    {
    }

    internal SurrogateFamily(string name, float defaultAlpha, Func<float, TSurrogate> create, SurrogateKind kind)
        : base(name, defaultAlpha, kind) =>
        this.create = create ?? throw new ArgumentNullException(nameof(create));

    /// <summary>The device struct for shape parameter <paramref name="alpha"/>.</summary>
    /// <param name="alpha">The shape parameter α.</param>
    /// <returns>The struct the kernels receive.</returns>
    public TSurrogate Create(float alpha) => create(alpha);

    /// <inheritdoc />
    public override float Derivative(float alpha, float z) => create(alpha).Derivative(z);

    /// <inheritdoc />
    public override float Primitive(float alpha, float z) => create(alpha).Primitive(z);

    internal override TResult Accept<TResult, TNeuron>(INeuronVisitor<TResult> visitor, TNeuron neuron, float alpha) =>
        visitor.Visit(neuron, create(alpha));

    internal override TResult AcceptAdaptive<TResult, TNeuron>(INeuronVisitor<TResult> visitor, TNeuron neuron, float alpha) =>
        visitor.VisitAdaptive(neuron, create(alpha));
}
