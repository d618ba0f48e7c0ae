using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Vector math for the CPU's SIMD kernels, in single precision and inlined into them. (The BCL's
/// <see cref="Vector.Exp(Vector{float})"/> widens to double and calls generic helpers that run unoptimised for a
/// while, which made it cost more than the rest of the LIF forward.)
/// </summary>
internal static class VectorMath
{
    private const float Log2E = 1.44269504088896341f;

    // ln 2 split so that n·LnHi is exact for |n| ≤ 2^9 (Cody and Waite), as in Cephes' expf.
    private const float LnHi = 0.693359375f, LnLo = -2.12194440e-4f;

    // e^r − 1 − r ≈ r²·P(r) on |r| ≤ ln2/2 (Cephes expf).
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
        P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>Below this e^x rounds to 0 in single precision (e^−104 ≈ 6.8e−46, under half the smallest subnormal).</summary>
    private const float Lowest = -104f;

    /// <summary>Above this e^x overflows to +∞ (e^89 ≈ 4.5e38 &gt; float.MaxValue).</summary>
    private const float Highest = 89f;

    /// <summary>
    /// e^x per lane: within 1 ulp of the exact value over the whole float range, subnormal results included (tested
    /// against double-precision <see cref="Math.Exp"/>); +∞ above 88.72, 0 below −103.97, NaN for NaN, like
    /// <see cref="MathF.Exp"/>. x = n·ln2 + r with |r| ≤ ln2/2; e^r by Cephes' polynomial; 2^n applied as two
    /// exact powers of two so that results down to the subnormals are rounded once. The multiply-adds are fused where
    /// the CPU has FMA (<see cref="Vector.MultiplyAddEstimate(Vector{float}, Vector{float}, Vector{float})"/>), which
    /// shortens the dependent chain that bounded the LIF forward (benchmarks/RESULTS.md); both forms keep the 1 ulp.
    /// </summary>
    /// <param name="x">The exponents.</param>
    /// <returns>e^x per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        // The native min, max and conversion (single instructions): NaN lanes are restored at the end, n stays within ±150.
        var clamped = Vector.MinNative(Vector.MaxNative(x, new Vector<float>(Lowest)), new Vector<float>(Highest));
        var n = Vector.Floor(Vector.MultiplyAddEstimate(clamped, new Vector<float>(Log2E), new Vector<float>(0.5f)));
        var r = Vector.MultiplyAddEstimate(n, new Vector<float>(-LnLo), Vector.MultiplyAddEstimate(n, new Vector<float>(-LnHi), clamped));
        var p = new Vector<float>(P0);
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(P1));
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(P2));
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(P3));
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(P4));
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(P5));
        p = Vector.MultiplyAddEstimate(p, r * r, r) + Vector<float>.One;
        var k = Vector.ConvertToInt32Native(n);
        var half = Vector.ShiftRightArithmetic(k, 1);
        var e = p * PowerOfTwo(half) * PowerOfTwo(k - half);
        return Vector.ConditionalSelect(Vector.Equals(x, x), e, x);
    }

    /// <summary>
    /// <see cref="Exp(Vector{float})"/> on 16 lanes (AVX-512), the same operations: half the instructions per lane
    /// where the CPU has 512-bit vectors, which <see cref="Vector{T}"/> (256 bits by default) does not use.
    /// </summary>
    /// <param name="x">The exponents.</param>
    /// <returns>e^x per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp512(Vector512<float> x)
    {
        var clamped = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(Lowest)), Vector512.Create(Highest));
        var n = Vector512.Floor(Vector512.MultiplyAddEstimate(clamped, Vector512.Create(Log2E), Vector512.Create(0.5f)));
        var r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-LnLo), Vector512.MultiplyAddEstimate(n, Vector512.Create(-LnHi), clamped));
        var p = Vector512.Create(P0);
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P1));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P2));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P3));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P4));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P5));
        p = Vector512.MultiplyAddEstimate(p, r * r, r) + Vector512<float>.One;
        var k = Vector512.ConvertToInt32Native(n);
        var half = Vector512.ShiftRightArithmetic(k, 1);
        var e = p * PowerOfTwo(half) * PowerOfTwo(k - half);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), e, x);
    }

    /// <summary>2^k for −126 ≤ k ≤ 127, built from the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PowerOfTwo(Vector512<int> k) => Vector512.ShiftLeft(k + Vector512.Create(127), 23).AsSingle();

    /// <summary>2^k for −126 ≤ k ≤ 127, built from the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> PowerOfTwo(Vector<int> k) => Vector.AsVectorSingle(Vector.ShiftLeft(k + new Vector<int>(127), 23));
}
