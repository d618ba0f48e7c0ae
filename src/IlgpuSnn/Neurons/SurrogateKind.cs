namespace IlgpuSnn.Neurons;

/// <summary>The built-in surrogate families (each defined by one struct in Neurons/Surrogates), or a registered one.</summary>
public enum SurrogateKind
{
    /// <summary>α·sig(αz)·(1 − sig(αz)) (SpikingJelly <c>Sigmoid</c>); peak α/4.</summary>
    Sigmoid = 0,

    /// <summary>max(0, α − α²·|z|) (SpikingJelly <c>PiecewiseQuadratic</c>).</summary>
    Triangle = 1,

    /// <summary>1/α when |z| ≤ α/2, else 0 (the SLTT repository's rectangle, boundary included).</summary>
    Rectangle = 2,

    /// <summary>α / (2·(1 + (π/2·α·z)²)) (SpikingJelly <c>ATan</c>).</summary>
    ATan = 3,

    /// <summary>A family defined outside the library (see <see cref="SurrogateFamily{TSurrogate}"/>).</summary>
    Custom = 4,
}
