using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using IlgpuSnn.Neurons;

namespace IlgpuSnn.Kernels;

/// <summary>
/// σ'(z) of a built-in surrogate on a <see cref="Vector{T}"/> of z, for the CPU's SIMD neuron kernels
/// (<see cref="HostLifVector"/>): the same float operations in the same order as the scalar struct, except that the
/// sigmoid's exponential is <see cref="VectorMath.Exp"/>. Each also has a 16-lane form for
/// <see cref="VectorSurrogates.Derivatives{TVector}"/>.
/// </summary>
internal interface IVectorSurrogate
{
    /// <summary>σ' at every lane of <paramref name="z"/>.</summary>
    /// <param name="z">The distances above the threshold.</param>
    /// <returns>σ'(z) per lane.</returns>
    Vector<float> Derivative(Vector<float> z);

    /// <summary>σ' at every lane of <paramref name="z"/>: the same operations on 16 lanes.</summary>
    /// <param name="z">The distances above the threshold.</param>
    /// <returns>σ'(z) per lane.</returns>
    Vector512<float> Derivative(Vector512<float> z);
}

/// <summary>σ' of two vectors of z at once, the form the SIMD neuron kernels call.</summary>
internal static unsafe class VectorSurrogates
{
    /// <summary>
    /// Stores σ'(<paramref name="z0"/>) at <paramref name="target"/> and σ'(<paramref name="z1"/>) right after it:
    /// as one 512-bit vector where the CPU has AVX-512 and <see cref="Vector{T}"/> is 256 bits (its default), else
    /// each on its own. Why: the sigmoid's exponential, not memory, bounded the LIF and ALIF forward kernels (8-10 GB
    /// per CPU-second against a triad of 30); 16 lanes per instruction halve it (benchmarks/RESULTS.md).
    /// </summary>
    /// <typeparam name="TVector">The surrogate.</typeparam>
    /// <param name="surrogate">The surrogate.</param>
    /// <param name="z0">The first vector of distances above the threshold.</param>
    /// <param name="z1">The vector of the lanes after them.</param>
    /// <param name="target">Where σ' of the 2·<see cref="Vector{T}.Count"/> lanes goes.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Derivatives<TVector>(this TVector surrogate, Vector<float> z0, Vector<float> z1, float* target)
        where TVector : struct, IVectorSurrogate
    {
        if (Vector512.IsHardwareAccelerated && Vector<float>.Count == Vector256<float>.Count)
        {
            var g = surrogate.Derivative(Vector512.Create(z0.AsVector256(), z1.AsVector256()));
            g.GetLower().Store(target);
            g.GetUpper().Store(target + Vector256<float>.Count);
            return;
        }
        surrogate.Derivative(z0).Store(target);
        surrogate.Derivative(z1).Store(target + Vector<float>.Count);
    }

    /// <summary>
    /// Where the whole pairs of vectors of [start, end) end, for kernels that compute σ' by
    /// <see cref="Derivatives{TVector}"/> (the second vector of each pair completing it); their scalar loops do the rest.
    /// </summary>
    /// <param name="start">The first neuron.</param>
    /// <param name="end">One past the last neuron.</param>
    /// <returns>start plus the largest multiple of 2·<see cref="Vector{T}.Count"/> that fits, at least start.</returns>
    public static long PairsEnd(long start, long end) =>
        start + Math.Max(0, end - start) / (2 * Vector<float>.Count) * (2 * Vector<float>.Count);
}

/// <summary><see cref="SigmoidSurrogate"/>: α·q·(1 − q) with q = 1 / (1 + e^(−αz)).</summary>
internal readonly struct SigmoidVector(float alpha) : IVectorSurrogate
{
    private readonly Vector<float> alpha = new(alpha), negativeAlpha = new(-alpha);
    private readonly Vector512<float> alpha16 = Vector512.Create(alpha), negativeAlpha16 = Vector512.Create(-alpha);

    public Vector<float> Derivative(Vector<float> z)
    {
        var q = Vector<float>.One / (Vector<float>.One + VectorMath.Exp(negativeAlpha * z));
        return alpha * q * (Vector<float>.One - q);
    }

    public Vector512<float> Derivative(Vector512<float> z)
    {
        var q = Vector512<float>.One / (Vector512<float>.One + VectorMath.Exp512(negativeAlpha16 * z));
        return alpha16 * q * (Vector512<float>.One - q);
    }
}

/// <summary><see cref="TriangleSurrogate"/>: max(0, α − α²·|z|).</summary>
internal readonly struct TriangleVector(float alpha) : IVectorSurrogate
{
    private readonly Vector<float> alpha = new(alpha), alphaSquared = new(alpha * alpha);
    private readonly Vector512<float> alpha16 = Vector512.Create(alpha), alphaSquared16 = Vector512.Create(alpha * alpha);

    public Vector<float> Derivative(Vector<float> z)
    {
        var d = alpha - alphaSquared * Vector.Abs(z);
        return Vector.ConditionalSelect(Vector.GreaterThan(d, Vector<float>.Zero), d, Vector<float>.Zero);
    }

    public Vector512<float> Derivative(Vector512<float> z)
    {
        var d = alpha16 - alphaSquared16 * Vector512.Abs(z);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(d, Vector512<float>.Zero), d, Vector512<float>.Zero);
    }
}

/// <summary><see cref="RectangleSurrogate"/>: 1/α where |z| ≤ α/2, else 0.</summary>
internal readonly struct RectangleVector(float alpha) : IVectorSurrogate
{
    private readonly Vector<float> halfWidth = new(0.5f * alpha), height = new(1f / alpha);
    private readonly Vector512<float> halfWidth16 = Vector512.Create(0.5f * alpha), height16 = Vector512.Create(1f / alpha);

    public Vector<float> Derivative(Vector<float> z) =>
        Vector.ConditionalSelect(Vector.LessThanOrEqual(Vector.Abs(z), halfWidth), height, Vector<float>.Zero);

    public Vector512<float> Derivative(Vector512<float> z) =>
        Vector512.ConditionalSelect(Vector512.LessThanOrEqual(Vector512.Abs(z), halfWidth16), height16, Vector512<float>.Zero);
}

/// <summary><see cref="ATanSurrogate"/>: α / (2·(1 + k²)) with k = π/2·α·z.</summary>
internal readonly struct ATanVector(float alpha) : IVectorSurrogate
{
    private readonly Vector<float> alpha = new(alpha), slope = new(ATanSurrogate.HalfPi * alpha), two = new(2f);
    private readonly Vector512<float> alpha16 = Vector512.Create(alpha), slope16 = Vector512.Create(ATanSurrogate.HalfPi * alpha);

    public Vector<float> Derivative(Vector<float> z)
    {
        var k = slope * z;
        return alpha / (two * (Vector<float>.One + k * k));
    }

    public Vector512<float> Derivative(Vector512<float> z)
    {
        var k = slope16 * z;
        return alpha16 / (Vector512.Create(2f) * (Vector512<float>.One + k * k));
    }
}
