namespace IlgpuSnn.Tests.Support;

/// <summary>
/// The tests' one element-wise comparison: |expected − actual| ≤ atol + rtol·|expected| for every element, where a NaN
/// never passes; failures name the element, both values and the tolerance.
/// </summary>
internal static class Close
{
    /// <summary>Every element within atol + rtol·|expected|.</summary>
    public static void Within(IEnumerable<double> expected, IEnumerable<double> actual, double atol, double rtol, string what = "")
    {
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.True(e.Length == a.Length, $"{what}: expected {e.Length} values, got {a.Length}");
        for (int i = 0; i < e.Length; i++)
        {
            if (!(Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i])))
                Assert.Fail($"{what}[{i}]: expected {e[i]:G9}, got {a[i]:G9} (tolerance {atol:G3} + {rtol:G3}·|expected|)");
        }
    }

    /// <summary>Every element within atol + rtol·|expected| (single-precision results).</summary>
    public static void Within(IEnumerable<double> expected, IEnumerable<float> actual, double atol, double rtol, string what = "") =>
        Within(expected, actual.Select(v => (double)v), atol, rtol, what);

    /// <summary>Every element within tol·(1 + |expected|).</summary>
    public static void Relative(IEnumerable<double> expected, IEnumerable<float> actual, double tol, string what = "") =>
        Within(expected, actual, tol, tol, what);

    /// <summary>Every element within tol (absolute).</summary>
    public static void Absolute(IEnumerable<double> expected, IEnumerable<double> actual, double tol, string what = "") =>
        Within(expected, actual, tol, 0, what);

    /// <summary>
    /// Every element equal to the last bit (NaN equals NaN, as <see cref="float.Equals(float)"/>) where the kernels run the
    /// same float operations; within atol + rtol·|expected| on a GPU (<paramref name="gpu"/>), whose compiler may fuse or
    /// reorder them.
    /// </summary>
    public static void IdenticalOnCpu(float[] expected, float[] actual, bool gpu, double atol, double rtol, string what)
    {
        if (gpu)
        {
            Within(expected.Select(v => (double)v), actual, atol, rtol, what);
            return;
        }
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i].Equals(actual[i]), $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    /// <summary>One value within tol (absolute).</summary>
    public static void Value(double expected, double actual, double tol, string what) =>
        Within([expected], [actual], tol, 0, what);
}
