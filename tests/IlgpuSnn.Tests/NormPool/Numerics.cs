namespace IlgpuSnn.Tests.NormPool;

/// <summary>Test data for the pooling / normalisation / reduction tests.</summary>
internal static class Numerics
{

    /// <summary>n distinct values (a shuffled grid with spacing <paramref name="gap"/>), centred on zero.</summary>
    public static float[] Distinct(int n, int seed, float gap = 0.1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Select(i => (i - n / 2) * gap).ToArray();
    }
}
