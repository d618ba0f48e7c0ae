namespace IlgpuSnn.Neurons;

/// <summary>σ'(z) = max(0, α − α²|z|) (SpikingJelly <c>PiecewiseQuadratic</c>); default α = 1 (SLTT).</summary>
/// <param name="alpha">The shape parameter α (positive).</param>
public readonly struct TriangleSurrogate(float alpha) : ISurrogateGradient
{
    /// <summary>The family: name "triangle", default α = 1.</summary>
    public static SurrogateFamily<TriangleSurrogate> Family { get; } = new("triangle", 1f, a => new TriangleSurrogate(a), SurrogateKind.Triangle);

    /// <summary>α (the CPU's SIMD neuron kernels read it).</summary>
    internal float Alpha => alpha;

    /// <inheritdoc />
    public float Derivative(float z)
    {
        float az = z < 0f ? -z : z;
        float d = alpha - alpha * alpha * az;
        return d > 0f ? d : 0f;
    }

    /// <inheritdoc />
    public float Primitive(float z)
    {
        float w = 1f / alpha;
        float c = z < -w ? -w : (z > w ? w : z);
        float ac = c < 0f ? -c : c;
        return 0.5f + alpha * c - 0.5f * alpha * alpha * c * ac;
    }
}
