using System.Globalization;

namespace IlgpuSnn.Neurons;

/// <summary>
/// A surrogate gradient for the spike nonlinearity: the forward stays the Heaviside step H(u − Vth), the backward
/// uses <see cref="Derivative(float)"/>. Create with the factories (<see cref="Sigmoid"/>, <see cref="Triangle"/>,
/// <see cref="Rectangle"/>, <see cref="ATan"/>), <see cref="Parse"/>, or from any <see cref="SurrogateFamily"/>.
/// </summary>
public readonly record struct Surrogate
{
    private static readonly object Gate = new();
    private static readonly SurrogateFamily[] BuiltIn =
        [SigmoidSurrogate.Family, TriangleSurrogate.Family, RectangleSurrogate.Family, ATanSurrogate.Family];
    private static List<SurrogateFamily> registered = [.. BuiltIn];

    private readonly SurrogateFamily? family;

    /// <summary>A built-in surrogate.</summary>
    /// <param name="Kind">The built-in family (not <see cref="SurrogateKind.Custom"/>).</param>
    /// <param name="Alpha">The shape parameter α (positive, finite).</param>
    /// <exception cref="ArgumentException">Unknown or custom kind, or invalid α.</exception>
    public Surrogate(SurrogateKind Kind, float Alpha)
    {
        this.Kind = Kind;
        this.Alpha = Alpha;
    }

    /// <summary>A surrogate of any family.</summary>
    /// <param name="family">The family.</param>
    /// <param name="alpha">The shape parameter α (positive, finite).</param>
    /// <exception cref="ArgumentException">Invalid α.</exception>
    public Surrogate(SurrogateFamily family, float alpha)
    {
        this.family = family ?? throw new ArgumentNullException(nameof(family));
        Alpha = alpha;
    }

    /// <summary>The names accepted by <see cref="Parse"/>: the built-in ones and every registered family.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate) return registered.Select(f => f.Name).ToList();
        }
    }

    /// <summary>The family (built-in kinds map to their struct's family).</summary>
    public SurrogateFamily Family => family ?? BuiltIn[(int)Kind];

    /// <summary>The surrogate family as a built-in kind, or <see cref="SurrogateKind.Custom"/>.</summary>
    public SurrogateKind Kind
    {
        get => family?.Kind ?? field;
        init
        {
            if (!Enum.IsDefined(value) || value == SurrogateKind.Custom)
                throw new ArgumentException($"Surrogate: unknown kind {(int)value} (a custom surrogate is created from its SurrogateFamily).", nameof(value));
            field = value;
            family = null;
        }
    }

    /// <summary>The shape parameter α (positive, finite).</summary>
    public float Alpha { get; init => field = ValidAlpha(value); }

    /// <summary>α·sig(αz)·(1 − sig(αz)); default α = 4 (OTTT, RateBP).</summary>
    /// <param name="alpha">The shape parameter α.</param>
    /// <returns>The surrogate.</returns>
    public static Surrogate Sigmoid(float alpha = 4f) => new(SurrogateKind.Sigmoid, alpha);

    /// <summary>max(0, α − α²|z|); default α = 1 (SLTT).</summary>
    /// <param name="alpha">The shape parameter α.</param>
    /// <returns>The surrogate.</returns>
    public static Surrogate Triangle(float alpha = 1f) => new(SurrogateKind.Triangle, alpha);

    /// <summary>1/α for |z| ≤ α/2, else 0; default α = 1.</summary>
    /// <param name="alpha">The shape parameter α.</param>
    /// <returns>The surrogate.</returns>
    public static Surrogate Rectangle(float alpha = 1f) => new(SurrogateKind.Rectangle, alpha);

    /// <summary>α / (2(1 + (π/2·αz)²)); default α = 2.</summary>
    /// <param name="alpha">The shape parameter α.</param>
    /// <returns>The surrogate.</returns>
    public static Surrogate ATan(float alpha = 2f) => new(SurrogateKind.ATan, alpha);

    /// <summary>
    /// Makes a family available by name to <see cref="Parse"/> (and so to the command line's <c>--surrogate</c>).
    /// </summary>
    /// <param name="family">The family to register.</param>
    /// <exception cref="ArgumentException">Another family already uses the name.</exception>
    public static void Register(SurrogateFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        lock (Gate)
        {
            var same = registered.FirstOrDefault(f => f.Name == family.Name);
            if (ReferenceEquals(same, family)) return;
            if (same is not null) throw new ArgumentException($"Surrogate.Register: the name '{family.Name}' is already taken.", nameof(family));
            registered = [.. registered, family];
        }
    }

    /// <summary>
    /// A surrogate by name ("sigmoid", "triangle", "rectangle", "atan" or a registered family; case-insensitive),
    /// optionally written "name:alpha" (e.g. "sigmoid:4"), with the family's default α unless one is given.
    /// </summary>
    /// <param name="name">The name, or "name:alpha".</param>
    /// <param name="alpha">α; overrides none written in <paramref name="name"/> (both given is an error).</param>
    /// <returns>The surrogate.</returns>
    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones) or invalid α.</exception>
    public static Surrogate Parse(string name, float? alpha = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = name.Trim().ToLowerInvariant();
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            var alphaText = text[(colon + 1)..].Trim();
            if (alpha is not null)
                throw new ArgumentException($"Surrogate.Parse: '{name}' gives alpha twice.");
            if (!float.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) || !float.IsFinite(parsed) || parsed <= 0f)
                throw new ArgumentException($"Surrogate.Parse: alpha in '{name}' must be a positive number, got '{alphaText}'.");
            alpha = parsed;
            text = text[..colon].Trim();
        }
        SurrogateFamily? family;
        lock (Gate) family = registered.FirstOrDefault(f => f.Name == text);
        if (family is null)
            throw new ArgumentException(
                $"Surrogate.Parse: unknown surrogate '{name}'; valid names are {string.Join(", ", Names)} (optionally name:alpha).");
        return new Surrogate(family, alpha ?? family.DefaultAlpha);
    }

    /// <summary>σ'(z) at z = u − Vth (the same code the kernels run).</summary>
    /// <param name="z">The distance of the pre-reset potential above the threshold.</param>
    /// <returns>The surrogate derivative.</returns>
    public float Derivative(float z) => Family.Derivative(Alpha, z);

    /// <summary>The step function rising from 0 to 1 whose derivative is <see cref="Derivative(float)"/>.</summary>
    /// <param name="z">The distance of the pre-reset potential above the threshold.</param>
    /// <returns>The primitive's value.</returns>
    public float Primitive(float z) => Family.Primitive(Alpha, z);

    /// <summary>The kind and α (as the positional record this type used to be).</summary>
    /// <param name="Kind">The family as a built-in kind, or <see cref="SurrogateKind.Custom"/>.</param>
    /// <param name="Alpha">The shape parameter α.</param>
    public void Deconstruct(out SurrogateKind Kind, out float Alpha)
    {
        Kind = this.Kind;
        Alpha = this.Alpha;
    }

    /// <summary>Whether both are the same family with the same α.</summary>
    /// <param name="other">The other surrogate.</param>
    /// <returns>True when equal.</returns>
    public bool Equals(Surrogate other) => ReferenceEquals(Family, other.Family) && Alpha.Equals(other.Alpha);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Family.Name, Alpha);

    /// <inheritdoc />
    public override string ToString() => $"{Family.Name}(alpha={Alpha.ToString(CultureInfo.InvariantCulture)})";

    private static float ValidAlpha(float alpha) =>
        float.IsFinite(alpha) && alpha > 0f ? alpha : throw new ArgumentException($"Surrogate: alpha must be positive and finite, got {alpha}.", nameof(alpha));
}
