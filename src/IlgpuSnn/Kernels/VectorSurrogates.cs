using System.Numerics;
using IlgpuSnn.Neurons;

namespace IlgpuSnn.Kernels;

/// <summary>
/// σ'(z) of a built-in surrogate on a <see cref="Vector{T}"/> of z, for the CPU's SIMD neuron kernels
/// (<see cref="HostLifVector"/>): the same float operations in the same order as the scalar struct, except that the
/// sigmoid's exponential is <see cref="VectorMath.Exp"/>.
/// </summary>
internal interface IVectorSurrogate
{
    /// <summary>σ' at every lane of <paramref name="z"/>.</summary>
    /// <param name="z">The distances above the threshold.</param>
    /// <returns>σ'(z) per lane.</returns>
    Vector<float> Derivative(Vector<float> z);
}

/// <summary><see cref="SigmoidSurrogate"/>: α·q·(1 − q) with q = 1 / (1 + e^(−αz)).</summary>
internal readonly struct SigmoidVector(float alpha) : IVectorSurrogate
{
    private readonly Vector<float> alpha = new(alpha), negativeAlpha = new(-alpha);

    public Vector<float> Derivative(Vector<float> z)
    {
        var q = Vector<float>.One / (Vector<float>.One + VectorMath.Exp(negativeAlpha * z));
        return alpha * q * (Vector<float>.One - q);
    }
}

/// <summary><see cref="TriangleSurrogate"/>: max(0, α − α²·|z|).</summary>
internal readonly struct TriangleVector(float alpha) : IVectorSurrogate
{
    private readonly Vector<float> alpha = new(alpha), alphaSquared = new(alpha * alpha);

    public Vector<float> Derivative(Vector<float> z)
    {
        var d = alpha - alphaSquared * Vector.Abs(z);
        return Vector.ConditionalSelect(Vector.GreaterThan(d, Vector<float>.Zero), d, Vector<float>.Zero);
    }
}

/// <summary><see cref="RectangleSurrogate"/>: 1/α where |z| ≤ α/2, else 0.</summary>
internal readonly struct RectangleVector(float alpha) : IVectorSurrogate
{
    private readonly Vector<float> halfWidth = new(0.5f * alpha), height = new(1f / alpha);

    public Vector<float> Derivative(Vector<float> z) =>
        Vector.ConditionalSelect(Vector.LessThanOrEqual(Vector.Abs(z), halfWidth), height, Vector<float>.Zero);
}

/// <summary><see cref="ATanSurrogate"/>: α / (2·(1 + k²)) with k = π/2·α·z.</summary>
internal readonly struct ATanVector(float alpha) : IVectorSurrogate
{
    private readonly Vector<float> alpha = new(alpha), slope = new(ATanSurrogate.HalfPi * alpha), two = new(2f);

    public Vector<float> Derivative(Vector<float> z)
    {
        var k = slope * z;
        return alpha / (two * (Vector<float>.One + k * k));
    }
}
