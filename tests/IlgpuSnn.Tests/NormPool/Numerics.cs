namespace IlgpuSnn.Tests.NormPool;

/// <summary>Comparison helpers and test data for the pooling / normalisation / reduction tests.</summary>
internal static class Numerics
{
    public static void AssertClose(double[] expected, float[] actual, double tol = 1e-5, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}[{i}] expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>n distinct values (a shuffled grid with spacing <paramref name="gap"/>), centred on zero.</summary>
    public static float[] Distinct(int n, int seed, float gap = 0.1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Select(i => (i - n / 2) * gap).ToArray();
    }
}
