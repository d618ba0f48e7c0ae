namespace IlgpuSnn.Neurons;

/// <summary>σ'(z) = α·sig(αz)·(1 − sig(αz)) (SpikingJelly <c>Sigmoid</c>); peak α/4, default α = 4.</summary>
/// <param name="alpha">The shape parameter α (positive).</param>
public readonly struct SigmoidSurrogate(float alpha) : ISurrogateGradient
{
    /// <summary>The family: name "sigmoid", default α = 4.</summary>
    public static SurrogateFamily<SigmoidSurrogate> Family { get; } = new("sigmoid", 4f, a => new SigmoidSurrogate(a), SurrogateKind.Sigmoid);

    /// <summary>α (the CPU's SIMD neuron kernels read it).</summary>
    internal float Alpha => alpha;

    /// <inheritdoc />
    public float Derivative(float z)
    {
        float sg = 1f / (1f + MathF.Exp(-alpha * z));
        return alpha * sg * (1f - sg);
    }

    /// <inheritdoc />
    public float Primitive(float z) => 1f / (1f + MathF.Exp(-alpha * z));
}
