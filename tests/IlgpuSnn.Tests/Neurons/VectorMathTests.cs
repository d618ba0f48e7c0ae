using System.Numerics;
using System.Runtime.Intrinsics;
using IlgpuSnn.Kernels;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// The single-precision vector exponential of the CPU's SIMD neuron kernels (sigmoid surrogate) against
/// double-precision <see cref="Math.Exp"/> rounded to float, over the whole range where e^x is neither 0 nor +∞ in
/// float (subnormal results included), and its special values against <see cref="MathF.Exp"/>; both widths
/// (<see cref="Vector{T}"/> and the 16-lane form of AVX-512).
/// </summary>
public sealed class VectorMathTests
{
    private static long UlpDistance(float a, float b) =>
        Math.Abs((long)BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b));

    /// <summary>e^x of every lane of <paramref name="lanes"/> (as many as the width), by the form under test.</summary>
    private static float[] Exp(float[] lanes, bool wide) => wide
        ? ToArray(VectorMath.Exp512(Vector512.Create(lanes)))
        : ToArray(VectorMath.Exp(new Vector<float>(lanes)));

    private static float[] ToArray(Vector512<float> v)
    {
        var a = new float[Vector512<float>.Count];
        v.CopyTo(a);
        return a;
    }

    private static float[] ToArray(Vector<float> v)
    {
        var a = new float[Vector<float>.Count];
        v.CopyTo(a);
        return a;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Exp_is_within_one_ulp_of_the_exact_exponential_from_the_subnormals_to_the_overflow(bool wide)
    {
        int width = wide ? Vector512<float>.Count : Vector<float>.Count;
        var lanes = new float[width];
        long worst = 0, checkedValues = 0;
        float worstAt = 0f;
        void Check(int from, int to, int stride)
        {
            for (int bits = from; bits <= to; bits += stride * width)
            {
                for (int l = 0; l < width; l++) lanes[l] = BitConverter.Int32BitsToSingle(Math.Min(to, bits + l * stride));
                var e = Exp(lanes, wide);
                for (int l = 0; l < width; l++)
                {
                    long d = UlpDistance(e[l], (float)Math.Exp(lanes[l]));
                    checkedValues++;
                    if (d > worst) (worst, worstAt) = (d, lanes[l]);
                }
            }
        }
        // Every 251st float of [0, 89] and [-104, -0] as bit patterns (8.9 M values, results from 1e-45 up to the overflow).
        Check(BitConverter.SingleToInt32Bits(0f), BitConverter.SingleToInt32Bits(89f), 251);
        Check(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(-104f), 251);
        // Every float near the ends of the results (2.4 M): the largest finite ones, and [-104, -87] (the subnormals).
        Check(BitConverter.SingleToInt32Bits(88f), BitConverter.SingleToInt32Bits(89f), 1);
        Check(BitConverter.SingleToInt32Bits(-87f), BitConverter.SingleToInt32Bits(-104f), 1);
        Assert.True(checkedValues > 11_000_000, $"{checkedValues} values");
        Assert.True(worst <= 1, $"{worst} ulp at x = {worstAt:R}");
    }

    /// <summary>Special values of x, each for both widths.</summary>
    public static IEnumerable<object[]> SpecialValues() =>
        new[]
        {
            0f, 1e-30f, float.Epsilon, 1f, -1f,
            88.72283f, // the largest x with a finite e^x
            88.7229f, 1000f, float.MaxValue, float.PositiveInfinity,
            -87.33654f, // e^x ≈ the smallest normal float
            -103.97f, // e^x ≈ the smallest subnormal
            -104f, -1000f, float.MinValue, float.NegativeInfinity, float.NaN,
        }.SelectMany(x => new[] { new object[] { x, false }, new object[] { x, true } });

    [Theory]
    [MemberData(nameof(SpecialValues))]
    public void Exp_gives_MathF_Exp_at_special_values(float x, bool wide)
    {
        int width = wide ? Vector512<float>.Count : Vector<float>.Count;
        var lanes = Enumerable.Range(0, width).Select(l => l == 0 ? x : l).Select(v => (float)v).ToArray();
        var e = Exp(lanes, wide);
        Assert.Equal(MathF.Exp(x), e[0]);
        for (int l = 1; l < lanes.Length; l++) Assert.True(UlpDistance(e[l], MathF.Exp(lanes[l])) <= 1, $"lane {l}");
    }
}
