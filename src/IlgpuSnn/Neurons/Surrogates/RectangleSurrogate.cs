namespace IlgpuSnn.Neurons;

/// <summary>σ'(z) = 1/α for |z| ≤ α/2, else 0 (the SLTT repository's rectangle, boundary included); default α = 1.</summary>
/// <param name="alpha">The shape parameter α (positive).</param>
public readonly struct RectangleSurrogate(float alpha) : ISurrogateGradient
{
    /// <summary>The family: name "rectangle", default α = 1.</summary>
    public static SurrogateFamily<RectangleSurrogate> Family { get; } = new("rectangle", 1f, a => new RectangleSurrogate(a), SurrogateKind.Rectangle);

    /// <summary>α (the CPU's SIMD neuron kernels read it).</summary>
    internal float Alpha => alpha;

    /// <inheritdoc />
    public float Derivative(float z)
    {
        float az = z < 0f ? -z : z;
        return az <= 0.5f * alpha ? 1f / alpha : 0f;
    }

    /// <inheritdoc />
    public float Primitive(float z)
    {
        float r = z / alpha + 0.5f;
        return r < 0f ? 0f : (r > 1f ? 1f : r);
    }
}
