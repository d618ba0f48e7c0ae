namespace IlgpuSnn.Neurons;

/// <summary>σ'(z) = α / (2·(1 + (π/2·α·z)²)) (SpikingJelly <c>ATan</c>); default α = 2.</summary>
/// <param name="alpha">The shape parameter α (positive).</param>
public readonly struct ATanSurrogate(float alpha) : ISurrogateGradient
{
    internal const float HalfPi = 1.57079632679489662f;
    private const float InvPi = 0.318309886183790672f;

    /// <summary>The family: name "atan", default α = 2.</summary>
    public static SurrogateFamily<ATanSurrogate> Family { get; } = new("atan", 2f, a => new ATanSurrogate(a), SurrogateKind.ATan);

    /// <summary>α (the CPU's SIMD neuron kernels read it).</summary>
    internal float Alpha => alpha;

    /// <inheritdoc />
    public float Derivative(float z)
    {
        float k = HalfPi * alpha * z;
        return alpha / (2f * (1f + k * k));
    }

    /// <inheritdoc />
    public float Primitive(float z) => 0.5f + MathF.Atan(HalfPi * alpha * z) * InvPi;
}
