namespace IlgpuSnn.Neurons;

/// <summary>
/// A surrogate gradient for the spike nonlinearity: the forward stays the Heaviside step H(u − Vth), the backward
/// uses <see cref="Derivative(float)"/>. Create with the factories (<see cref="Sigmoid"/>, <see cref="Triangle"/>,
/// <see cref="Rectangle"/>, <see cref="ATan"/>) or <see cref="Parse"/>.
/// </summary>
/// <param name="Kind">The surrogate family.</param>
/// <param name="Alpha">The shape parameter α (positive, finite).</param>
public readonly record struct Surrogate(SurrogateKind Kind, float Alpha)
{
    /// <summary>The names accepted by <see cref="Parse"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sigmoid", "triangle", "rectangle", "atan"];

    /// <summary>The surrogate family.</summary>
    public SurrogateKind Kind { get; init => field = ValidKind(value); } = ValidKind(Kind);

    /// <summary>The shape parameter α (positive, finite).</summary>
    public float Alpha { get; init => field = ValidAlpha(value); } = ValidAlpha(Alpha);

    /// <summary>α·sig(αz)·(1 − sig(αz)); default α = 4 (OTTT, RateBP).</summary>
    public static Surrogate Sigmoid(float alpha = 4f) => new(SurrogateKind.Sigmoid, alpha);

    /// <summary>max(0, α − α²|z|); default α = 1 (SLTT).</summary>
    public static Surrogate Triangle(float alpha = 1f) => new(SurrogateKind.Triangle, alpha);

    /// <summary>1/α for |z| ≤ α/2, else 0; default α = 1.</summary>
    public static Surrogate Rectangle(float alpha = 1f) => new(SurrogateKind.Rectangle, alpha);

    /// <summary>α / (2(1 + (π/2·αz)²)); default α = 2.</summary>
    public static Surrogate ATan(float alpha = 2f) => new(SurrogateKind.ATan, alpha);

    /// <summary>
    /// A surrogate by name ("sigmoid", "triangle", "rectangle", "atan"; case-insensitive), with its default α
    /// unless <paramref name="alpha"/> is given.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones) or invalid α.</exception>
    public static Surrogate Parse(string name, float? alpha = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "sigmoid" => alpha is { } a1 ? Sigmoid(a1) : Sigmoid(),
            "triangle" => alpha is { } a2 ? Triangle(a2) : Triangle(),
            "rectangle" => alpha is { } a3 ? Rectangle(a3) : Rectangle(),
            "atan" => alpha is { } a4 ? ATan(a4) : ATan(),
            _ => throw new ArgumentException(
                $"Surrogate.Parse: unknown surrogate '{name}'; valid names are {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>σ'(z) at z = u − Vth (the same code the kernels run).</summary>
    public float Derivative(float z) => SurrogateMath.Derivative((int)Kind, Alpha, z);

    /// <summary>The step function rising from 0 to 1 whose derivative is <see cref="Derivative(float)"/>.</summary>
    public float Primitive(float z) => SurrogateMath.Primitive((int)Kind, Alpha, z);

    /// <inheritdoc />
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}(alpha={Alpha})";

    private static SurrogateKind ValidKind(SurrogateKind kind) =>
        Enum.IsDefined(kind) ? kind : throw new ArgumentException($"Surrogate: unknown kind {(int)kind}.", nameof(kind));

    private static float ValidAlpha(float alpha) =>
        float.IsFinite(alpha) && alpha > 0f ? alpha : throw new ArgumentException($"Surrogate: alpha must be positive and finite, got {alpha}.", nameof(alpha));
}
