namespace IlgpuSnn.Tests.Support;

/// <summary>
/// The tests' one reference matrix product: C = alpha·op(A)·op(B) + beta·C0 with plain loops and double accumulation,
/// independent of the library's GEMM kernels (checked against MathNet in <c>GemmTests</c>). Row-major, with the
/// storage of <c>Gemm.Run</c>: A stored [k, m] when transposed (else [m, k]), B stored [n, k] when transposed (else
/// [k, n]), C [m, n].
/// </summary>
internal static class ReferenceGemm
{
    /// <summary>C = alpha·op(A)·op(B) + beta·C0 in double precision (C0 read only when given).</summary>
    /// <param name="a">A, [m, k] or [k, m] when <paramref name="transA"/>.</param>
    /// <param name="b">B, [k, n] or [n, k] when <paramref name="transB"/>.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="transA">Whether op(A) is A transposed.</param>
    /// <param name="transB">Whether op(B) is B transposed.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of <paramref name="c0"/>.</param>
    /// <param name="c0">The C added to (beta·C0), [m, n]; none adds nothing.</param>
    /// <returns>C, [m, n] row-major.</returns>
    public static double[] Product(float[] a, float[] b, int m, int n, int k, bool transA = false, bool transB = false,
        double alpha = 1, double beta = 0, float[]? c0 = null) =>
        WithMagnitude(a, b, m, n, k, transA, transB, alpha, beta, c0).Value;

    /// <summary>
    /// C as <see cref="Product"/> computes it, and each element's magnitude |alpha|·Σ_p |op(A)[i, p]·op(B)[p, j]| +
    /// |beta·C0[i, j]|: a float sum of those terms in any order errs by at most a small multiple of it, so a tolerance
    /// proportional to it holds however a kernel orders its sums.
    /// </summary>
    /// <returns>C and the magnitudes, both [m, n] row-major.</returns>
    public static (double[] Value, double[] Magnitude) WithMagnitude(float[] a, float[] b, int m, int n, int k,
        bool transA = false, bool transB = false, double alpha = 1, double beta = 0, float[]? c0 = null)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || (c0 is not null && c0.Length < (long)m * n))
            throw new ArgumentException($"ReferenceGemm {m}x{n}x{k}: A has {a.Length}, B {b.Length}, C0 {c0?.Length} elements");
        var value = new double[m * n];
        var magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, absolute = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = (double)(transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                    sum += term;
                    absolute += Math.Abs(term);
                }
                double added = c0 is null ? 0 : beta * c0[i * n + j];
                value[i * n + j] = alpha * sum + added;
                magnitude[i * n + j] = Math.Abs(alpha) * absolute + Math.Abs(added);
            }
        return (value, magnitude);
    }
}
