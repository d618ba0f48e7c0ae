using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.NormPool;

public sealed class DropoutTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>The documented mask rule, on the host: SplitMix64 of (seed, index), top 24 bits against round(p·2^24).</summary>
    private static float[] HostMask(int n, float p, ulong seed)
    {
        ulong threshold = (ulong)Math.Round(p * 16777216.0);
        float keep = 1f / (1f - p);
        var mask = new float[n];
        for (int i = 0; i < n; i++)
        {
            ulong z = unchecked(seed + ((ulong)i + 1) * 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            mask[i] = (z >> 40) < threshold ? 0f : keep;
        }
        return mask;
    }

    [Theory]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void Mask_has_the_right_statistics_and_values(float p)
    {
        using var mask = Ops.DropoutMask(D, [200, 501], p, 42);
        Assert.Equal([200, 501], mask.ShapeArray());
        var m = mask.ToArray();
        float keep = 1f / (1f - p);
        Assert.All(m, v => Assert.True(v == 0f || v == keep, $"value {v}"));
        double zeros = m.Count(v => v == 0f) / (double)m.Length;
        Assert.InRange(zeros, p - 0.01, p + 0.01);
    }

    [Fact]
    public void Same_seed_gives_the_same_mask_on_any_device()
    {
        using var a = Ops.DropoutMask(D, [7, 33, 5], 0.4f, 123);
        using var b = Ops.DropoutMask(D, [7, 33, 5], 0.4f, 123);
        using var c = Ops.DropoutMask(D, [7, 33, 5], 0.4f, 124);
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), c.ToArray());
        Assert.Equal(HostMask(7 * 33 * 5, 0.4f, 123), a.ToArray());
    }

    [Fact]
    public void Extreme_probabilities()
    {
        using var ones = Ops.DropoutMask(D, [3, 100], 0f, 9);
        Assert.All(ones.ToArray(), v => Assert.Equal(1f, v));
        using var zeros = Ops.DropoutMask(D, [3, 100], 1f, 9);
        Assert.All(zeros.ToArray(), v => Assert.Equal(0f, v));
        var e = Assert.Throws<ArgumentException>(() => Ops.DropoutMask(D, [3], 1.5f, 9));
        Assert.Contains("DropoutMask", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mask_is_fixed_over_the_leading_time_axis()
    {
        int t = 4, b = 3, f = 5;
        var x = Rand.Uniform(t * b * f, 1);
        using var scope = TensorScope.Begin();
        var mask = Ops.DropoutMask(D, [b, f], 0.5f, 7);
        var m = mask.ToArray();
        var y = Ops.Dropout(Tensor.FromArray(D, x, t, b, f), mask).ToArray();
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i] * m[i % (b * f)], y[i]);
        var full = Ops.DropoutMask(D, [t, b, f], 0.5f, 7);
        var mf = full.ToArray();
        var y2 = Ops.Dropout(Tensor.FromArray(D, x, t, b, f), full).ToArray();
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i] * mf[i], y2[i]);
    }

    [Fact]
    public void Backward_matches_finite_differences()
    {
        var mask = HostMask(3 * 4, 0.5f, 5);
        GradientCheck.Assert(D, x => Ops.Dropout(x[0], x[1]), [(Rand.Uniform(2 * 3 * 4, 2), [2, 3, 4]), (mask, [3, 4])],
            checkInput: [true, false]);
        GradientCheck.Assert(D, x => Ops.Dropout(x[0], x[1]), [(Rand.Uniform(12, 3), [3, 4]), (mask, [3, 4])],
            checkInput: [true, false]);
    }

    [Fact]
    public void Bad_mask_shape_names_operation_and_shapes()
    {
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<ArgumentException>(() => Ops.Dropout(Tensor.Zeros(D, 4, 3, 5), Tensor.Zeros(D, 3, 4)));
        Assert.Contains("Dropout", e.Message, StringComparison.Ordinal);
        Assert.Contains("[4, 3, 5]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 4]", e.Message, StringComparison.Ordinal);
    }
}
