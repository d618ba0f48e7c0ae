using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using MathNet.Numerics.LinearAlgebra;

namespace IlgpuSnn.Tests.Dense;

public sealed class GemmTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    public static TheoryData<bool, bool> Transposes => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    /// <summary>The transposes with each register block of the CPU kernel (256-bit 6x16, 512-bit 12x32).</summary>
    public static TheoryData<bool, bool, bool> BlockedCases()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (bool wide in new[] { false, true })
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) }) data.Add(ta, tb, wide);
        return data;
    }

    private void RequireBlocked(bool wide)
    {
        if (!D.Launch.IsCpu) Assert.Skip($"the blocked GEMM reads host pointers and runs on the CPU accelerator only, not on {D}");
        if (wide && !HostGemm.Wide) Assert.Skip("the 512-bit register block needs AVX-512, which this CPU lacks");
    }

    [Theory]
    [MemberData(nameof(BlockedCases))]
    public void Blocked_matches_mathnet(bool transA, bool transB, bool wide)
    {
        RequireBlocked(wide);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), 37, 21, 45, transA, transB, 1f, 0f);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), 8, 16, 3, transA, transB, 0.5f, -1.5f);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), 1, 1, 7, transA, transB, 2f, 1f);
    }

    [Theory]
    [MemberData(nameof(BlockedCases))]
    public void Blocked_matches_mathnet_across_cache_blocks(bool transA, bool transB, bool wide)
    {
        // Sizes that cross every block of the packed CPU kernel (rows 96, inner 320, columns 1024) with ragged edges
        // (not multiples of either register block), a row-split shape (few columns), and an inner size of one.
        RequireBlocked(wide);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), 101, 1037, 263, transA, transB, 1f, 0f);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), 97, 9, 515, transA, transB, -0.5f, 0.75f);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), 13, 35, 1, transA, transB, 1f, 1f);
        // An inner dimension far longer than m and n (weight gradients): with A [m,k] and B stored [n,k] the 512-bit
        // kernel runs blocked dot products; ragged 4x3 groups, several inner blocks of 512 and a tail under 16.
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), 7, 5, 1037, transA, transB, 0.5f, -0.25f);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), 2, 13, 3000, transA, transB, 1f, 0f);
    }

    [Theory]
    [MemberData(nameof(BlockedCases))]
    public void Blocked_matches_mathnet_with_sparse_spike_operand(bool transA, bool transB, bool wide)
    {
        // B as spikes (0/1) with whole rows of op(B) silent and isolated spikes elsewhere, at densities on both sides of
        // the sparse/dense switch of the CPU kernel; the reference is MathNet on the same matrices.
        RequireBlocked(wide);
        foreach (var (silent, density) in new[] { (0.95, 0.3), (0.5, 0.1), (0.0, 0.02) })
        {
            var rows = new Random(5);
            var silentRow = Enumerable.Range(0, 300).Select(p => p % 7 == 3 || rows.NextDouble() < silent).ToArray();
            var spikes = new Random(6);
            // 23 rows run the 12-row register block, 16 the 8-row one (512-bit).
            foreach (int rowsOfC in new[] { 23, 16 })
                Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunBlocked(dev, a, b, c, m, n, k, ta, tb, al, be, wide), rowsOfC, 70, 300, transA, transB, 1f, 0.5f,
                    (p, j) => !silentRow[p] && spikes.NextDouble() < density ? 1f : 0f);
        }
    }

    /// <summary>
    /// The shapes a per-time-step layer runs (batch 64: linear forward, weight and input gradients, a 10-wide read-out
    /// with K = 10) and the edges of the 8-row register block the 512-bit kernel picks for m = 1..8, 32, 63, 64 (12 rows
    /// elsewhere) and of the transposing packs (8x8 and 4x4 blocks, ragged tails, K below a block): against the
    /// double-precision reference, each element within a few float roundings of its magnitude, with alpha and beta.
    /// </summary>
    [Theory]
    [MemberData(nameof(BlockedCases))]
    public void Blocked_matches_reference_for_small_and_step_shapes(bool transA, bool transB, bool wide)
    {
        RequireBlocked(wide);
        var shapes = new (int M, int N, int K, float Alpha, float Beta)[]
        {
            (64, 256, 784, 1f, 0f), (64, 3136, 10, 1f, 0f), (10, 3136, 64, 1f, 0f), (64, 10, 256, 1f, 0f),
            (1, 37, 5, 0.5f, -1f), (1, 1, 1, 2f, 0.5f), (3, 33, 9, 1f, 1f), (8, 32, 8, -1f, 0f), (9, 31, 17, 1f, 0.25f),
            (32, 45, 288, 0.75f, 0f), (63, 70, 12, 1f, -0.5f), (65, 7, 300, 1f, 0f), (20, 100, 4, 1f, 2f),
        };
        foreach (var (m, n, k, alpha, beta) in shapes)
        {
            var a = Rand.Uniform(m * k, 3 * m + k);
            var b = Rand.Uniform(k * n, n + 5 * k);
            var c0 = Rand.Uniform(m * n, m + n);
            var (expected, magnitude) = ReferenceGemm.WithMagnitude(a, b, m, n, k, transA, transB, alpha, beta, c0);
            using var scope = TensorScope.Begin();
            var ta = Tensor.FromArray(D, a, a.Length);
            var tb = Tensor.FromArray(D, b, b.Length);
            // With beta == 0 C must not be read: start from NaN garbage.
            var tc = beta == 0f ? Tensor.Full(D, float.NaN, m * n) : Tensor.FromArray(D, c0, m * n);
            Gemm.RunBlocked(D, ta.View, tb.View, tc.View, m, n, k, transA, transB, alpha, beta, wide);
            var got = tc.ToArray();
            for (int i = 0; i < m * n; i++)
                Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-6 * (k + 2) * magnitude[i] + 1e-30,
                    $"[{m}x{n}x{k} tA={transA} tB={transB} alpha={alpha} beta={beta} {(wide ? "512" : "256")}-bit] C[{i / n},{i % n}] = {got[i]}, expected {expected[i]} (magnitude {magnitude[i]})");
        }
    }

    [Fact]
    public void Register_block_rows_pad_the_fewest_rows()
    {
        // Rows padded to whole strips: 8-row strips where they pad less than 12-row ones and those pad more than 1/16
        // of the rows (the batch 64 and the channel counts 32 and 64 fit them exactly), else 12; the 256-bit block keeps 6.
        if (!HostGemm.Wide) Assert.Skip("the 8-row block is a form of the 512-bit kernel, which needs AVX-512");
        foreach (var (m, rows) in new[] { (1, 8), (8, 8), (9, 12), (12, 12), (16, 8), (24, 12), (32, 8), (64, 8), (65, 12), (72, 12), (256, 12), (288, 12), (512, 12) })
            Assert.Equal(rows, HostGemm.RowsFor(true, m));
        Assert.Equal(6, HostGemm.RowsFor(false, 64));
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Tiled_matches_mathnet(bool transA, bool transB)
    {
        // The CPU accelerator limits group size; the kernel adapts its block tile to the largest square group that fits.
        int t = Gemm.TiledThreads(D);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunTiled(dev, a, b, c, m, n, k, ta, tb, al, be, t), 33, 17, 45, transA, transB, 1f, 0f);
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunTiled(dev, a, b, c, m, n, k, ta, tb, al, be, t), 5, 9, 3, transA, transB, 0.5f, -1.5f);
        if (t > 2) Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunTiled(dev, a, b, c, m, n, k, ta, tb, al, be, 2), 11, 6, 19, transA, transB, 1f, 0.25f);
    }

    [Fact]
    public void Tiled_full_size_group_matches_mathnet()
    {
        if (D.Accelerator.MaxNumThreadsPerGroup < GemmKernels.MaxTileThreads * GemmKernels.MaxTileThreads)
            Assert.Skip($"the 16x16-thread tiled group does not fit: {D.Accelerator.MaxNumThreadsPerGroup} threads per group at most on {D}");
        Check((dev, a, b, c, m, n, k, ta, tb, al, be) => Gemm.RunTiled(dev, a, b, c, m, n, k, ta, tb, al, be, GemmKernels.MaxTileThreads), 70, 65, 33, true, false, 1f, 0.5f);
    }

    [Fact]
    public void Run_counts_macs_and_handles_empty_k()
    {
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(D, Rand.Uniform(6, 1), 2, 3);
        var b = Tensor.FromArray(D, Rand.Uniform(12, 2), 3, 4);
        var c = Tensor.Full(D, 2f, 2, 4);
        D.Macs.Reset();
        Gemm.Run(D, a.View, b.View, c.View, 2, 4, 3, false, false);
        Assert.Equal(24, D.Macs.Forward);
        var d = Tensor.Full(D, 2f, 2, 4);
        Gemm.Run(D, a.View, b.View, d.View, 2, 4, 0, false, false, 1f, 0.5f);
        Assert.All(d.ToArray(), v => Assert.Equal(1f, v));
        var e = Assert.Throws<ArgumentException>(() => Gemm.Run(D, a.View, b.View, c.View, 3, 4, 3, false, false));
        Assert.Contains("Gemm", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Reference_loops_match_mathnet(bool transA, bool transB)
    {
        // The other tests' shared double-loop reference (ReferenceGemm) against the library: C and the magnitudes
        // |alpha|·|op(A)|·|op(B)| + |beta·C0| that their tolerances scale with.
        const int m = 7, n = 5, k = 9;
        var a = Rand.Uniform(m * k, 81);
        var b = Rand.Uniform(k * n, 82);
        var c = Rand.Uniform(m * n, 83);
        var (value, magnitude) = ReferenceGemm.WithMagnitude(a, b, m, n, k, transA, transB, -0.5, 0.75, c);
        Close.Within(MathNetGemm(a, b, c, m, n, k, transA, transB, -0.5f, 0.75f, abs: false).ToRowMajorArray(), value, 1e-12, 1e-12, "C");
        Close.Within(MathNetGemm(a, b, c, m, n, k, transA, transB, 0.5f, 0.75f, abs: true).ToRowMajorArray(), magnitude, 1e-12, 1e-12, "magnitude");
    }

    /// <summary>
    /// alpha·op(A)·op(B) + beta·C0 by MathNet (row-major arrays to matrices of the stored shape, then transposed as
    /// requested); with <paramref name="abs"/> every entry of A, B and C0 taken by its absolute value.
    /// </summary>
    private static Matrix<double> MathNetGemm(float[] a, float[] b, float[] c, int m, int n, int k, bool transA, bool transB,
        float alpha, float beta, bool abs)
    {
        double At(float[] data, int index) => abs ? Math.Abs((double)data[index]) : data[index];
        var aStored = transA ? Matrix<double>.Build.Dense(k, m, (i, j) => At(a, i * m + j)) : Matrix<double>.Build.Dense(m, k, (i, j) => At(a, i * k + j));
        var bStored = transB ? Matrix<double>.Build.Dense(n, k, (i, j) => At(b, i * k + j)) : Matrix<double>.Build.Dense(k, n, (i, j) => At(b, i * n + j));
        var c0 = Matrix<double>.Build.Dense(m, n, (i, j) => At(c, i * n + j));
        return alpha * (transA ? aStored.Transpose() : aStored) * (transB ? bStored.Transpose() : bStored) + beta * c0;
    }

    private delegate void GemmFn(Device d, ILGPU.ArrayView<float> a, ILGPU.ArrayView<float> b, ILGPU.ArrayView<float> c,
        int m, int n, int k, bool ta, bool tb, float alpha, float beta);

    private void Check(GemmFn run, int m, int n, int k, bool transA, bool transB, float alpha, float beta,
        Func<int, int, float>? opB = null)
    {
        var aData = Rand.Uniform(m * k, m + 7 * k);
        var bData = Rand.Uniform(k * n, n + 3 * k);
        if (opB is not null)
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++)
                    bData[transB ? j * k + p : p * n + j] = opB(p, j);
        var cData = Rand.Uniform(m * n, m * n + 1);
        var expected = MathNetGemm(aData, bData, cData, m, n, k, transA, transB, alpha, beta, abs: false);

        using var scope = TensorScope.Begin();
        var ta = Tensor.FromArray(D, aData, aData.Length);
        var tb = Tensor.FromArray(D, bData, bData.Length);
        // With beta == 0 C must not be read: start from NaN garbage.
        var tc = beta == 0f ? Tensor.Full(D, float.NaN, m * n) : Tensor.FromArray(D, cData, m * n);
        run(D, ta.View, tb.View, tc.View, m, n, k, transA, transB, alpha, beta);
        var got = tc.ToArray();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                Assert.True(Math.Abs(got[i * n + j] - expected[i, j]) <= 1e-4 * (1 + Math.Abs(expected[i, j])),
                    $"[{m}x{n}x{k} tA={transA} tB={transB}] C[{i},{j}] = {got[i * n + j]}, expected {expected[i, j]}");
    }
}
