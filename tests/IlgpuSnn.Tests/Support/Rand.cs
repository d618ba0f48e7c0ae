namespace IlgpuSnn.Tests.Support;

/// <summary>Deterministic random test data.</summary>
public static class Rand
{
    public static float[] Uniform(int n, int seed, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray();
    }
}
