using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Dense;

/// <summary>
/// The linear layer's event-driven products (<see cref="SpikeGemm"/>): forward x·Wᵀ and weight gradient gᵀ·x against
/// plain double-precision loops, at spike densities 0 to 100 %, with binary and real-valued inputs, forced event-driven,
/// forced dense and at the default switch, on shapes that cross every block of the kernel with ragged edges.
/// </summary>
public sealed class SpikeGemmTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>Always event-driven (any density is below it).</summary>
    private const float Event = 2f;

    /// <summary>Always dense.</summary>
    private const float Dense = 0f;

    /// <summary>
    /// Shapes (rows, outs, ins): batch 1; outputs under one vector, between vector groups, across the 128-wide slab;
    /// inputs across the 128-input gradient block and the 512-input forward block, none a multiple of 16.
    /// </summary>
    public static TheoryData<int, int, int> Shapes => new() { { 1, 10, 256 }, { 7, 3, 45 }, { 37, 133, 1100 }, { 5, 300, 20 }, { 64, 10, 3136 }, { 33, 47, 129 } };

    public static TheoryData<double> Densities => new() { 0.0, 0.01, 0.1, 0.5, 1.0 };

    private void RequireCpu()
    {
        if (!D.Launch.IsCpu) Assert.Skip($"the event-driven form reads host pointers and runs on the CPU accelerator only, not on {D}");
    }

    /// <summary>x [rows, ins] of spikes: each entry 1 with probability <paramref name="density"/>, else 0.</summary>
    private static float[] Spikes(int rows, int ins, double density, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, rows * ins).Select(_ => rng.NextDouble() < density ? 1f : 0f).ToArray();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_and_weight_gradient_match_loops_at_every_density(int rows, int outs, int ins)
    {
        RequireCpu();
        foreach (double density in new[] { 0.0, 0.01, 0.1, 0.5, 1.0 })
        {
            var x = Spikes(rows, ins, density, rows + ins + (int)(density * 1000));
            foreach (float? threshold in new float?[] { Event, Dense, null })
            {
                CheckForward(x, rows, outs, ins, 1f, 0f, threshold, $"density {density} threshold {threshold?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}");
                CheckWeightGradient(x, rows, outs, ins, 1f, 0f, threshold, $"density {density} threshold {threshold?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Densities))]
    public void Alpha_and_beta_scale_the_product_and_the_old_values(double density)
    {
        RequireCpu();
        var x = Spikes(29, 150, density, 3);
        CheckForward(x, 29, 70, 150, 0.5f, -1.5f, Event, $"density {density}");
        CheckForward(x, 29, 70, 150, 1f, 1f, Event, $"density {density}");
        CheckWeightGradient(x, 29, 70, 150, -0.25f, 0.75f, Event, $"density {density}");
        CheckWeightGradient(x, 29, 70, 150, 1f, 1f, Event, $"density {density}");
    }

    [Fact]
    public void Real_valued_inputs_pooled_spikes_and_traces_are_exact_too()
    {
        // Inputs that are not 0/1: pooled spikes (multiples of 1/4), decaying presynaptic traces (OTTT, SAF) with
        // silent entries, negative values and pixels: the event-driven form multiplies by the value, so it must equal
        // the dense product for every one of them.
        RequireCpu();
        var rng = new Random(11);
        const int rows = 19, ins = 530, outs = 41;
        var pooled = Enumerable.Range(0, rows * ins).Select(_ => rng.NextDouble() < 0.2 ? rng.Next(1, 5) / 4f : 0f).ToArray();
        var traces = Enumerable.Range(0, rows * ins).Select(_ => rng.NextDouble() < 0.3 ? MathF.Pow(0.5f, rng.Next(0, 6)) : 0f).ToArray();
        var signed = Enumerable.Range(0, rows * ins).Select(_ => rng.NextDouble() < 0.1 ? (float)(rng.NextDouble() * 8 - 4) : 0f).ToArray();
        var pixels = Enumerable.Range(0, rows * ins).Select(_ => rng.NextDouble() < 0.5 ? rng.Next(1, 256) / 255f : 0f).ToArray();
        foreach (var (x, what) in new[] { (pooled, "pooled"), (traces, "traces"), (signed, "signed"), (pixels, "pixels") })
            foreach (float? threshold in new float?[] { Event, null })
            {
                CheckForward(x, rows, outs, ins, 1f, 0f, threshold, what);
                CheckWeightGradient(x, rows, outs, ins, 1f, 0f, threshold, what);
            }
    }

    [Fact]
    public void A_non_finite_input_reaches_the_output()
    {
        // NaN and infinity are non-zero entries: the event-driven form must not hide them (a silent read-out row of NaN
        // would hide a diverged layer from the non-finite checks).
        RequireCpu();
        const int rows = 3, ins = 40, outs = 5;
        var x = Spikes(rows, ins, 0.05, 4);
        x[1 * ins + 17] = float.NaN;
        x[2 * ins + 33] = float.PositiveInfinity;
        using var scope = TensorScope.Begin();
        var w = Tensor.FromArray(D, Rand.Uniform(outs * ins, 5, 0.1f, 1f), outs, ins);
        var tx = Tensor.FromArray(D, x, rows, ins);
        var y = Tensor.Zeros(D, rows, outs);
        SpikeGemm.Forward(D, tx.View, w.View, y.View, rows, outs, ins, eventDrivenBelow: Event);
        var got = y.ToArray();
        Assert.All(got.Take(outs), v => Assert.True(float.IsFinite(v)));
        Assert.All(got.Skip(outs).Take(outs), v => Assert.True(float.IsNaN(v)));
        Assert.All(got.Skip(2 * outs), v => Assert.True(float.IsPositiveInfinity(v)));
    }

    [Fact]
    public void The_default_switch_runs_sparse_inputs_event_driven_and_dense_inputs_dense()
    {
        RequireCpu();
        if (!HostSpikeGemm.Available) Assert.Skip("the event-driven form is on by default only where 512-bit vectors are accelerated");
        // A shape no other test uses, so that the profile's entry is this test's own.
        const int rows = 23, outs = 131, ins = 977;
        var profile = new SpikeGemmProfile();
        HostSpikeGemm.Profile = profile;
        try
        {
            // Densities well below and well above the forward's measured crossover for this many outputs.
            Assert.InRange(HostSpikeGemm.ForwardThreshold(rows, outs, ins), 0.05f, 0.6f);
            CheckForward(Spikes(rows, ins, 0.02, 8), rows, outs, ins, 1f, 0f, null, "sparse");
            var sparse = profile.Entries[$"forward {rows}x{outs}x{ins}"];
            CheckForward(Spikes(rows, ins, 0.8, 9), rows, outs, ins, 1f, 0f, null, "dense");
            var both = profile.Entries[$"forward {rows}x{outs}x{ins}"];
            Assert.Equal(sparse.Calls, sparse.EventDriven);
            Assert.Equal(sparse.EventDriven, both.EventDriven);
            Assert.Equal(2 * sparse.Calls, both.Calls);
        }
        finally
        {
            HostSpikeGemm.Profile = null;
        }
    }

    [Theory]
    [MemberData(nameof(Densities))]
    public void Linear_on_spikes_matches_loops_in_all_three_gradients(double density)
    {
        // Ops.Linear with a spike input of the given density at the default switch: y = x Wᵀ + b and, for an upstream
        // gradient g, dx = g W, dW = gᵀ x, db = Σ_rows g, all against double loops.
        const int rows = 12, ins = 300, outs = 20;
        var x = Spikes(rows, ins, density, 12);
        var w = Rand.Uniform(outs * ins, 13);
        var b = Rand.Uniform(outs, 14);
        var g = Rand.Uniform(rows * outs, 15);
        var y = ReferenceGemm.Product(x, w, rows, outs, ins, transB: true);
        var dx = ReferenceGemm.Product(g, w, rows, ins, outs);
        var dw = ReferenceGemm.Product(g, x, outs, ins, rows, transA: true);
        var db = new double[outs];
        for (int n = 0; n < rows; n++)
            for (int o = 0; o < outs; o++)
            {
                y[n * outs + o] += b[o];
                db[o] += g[n * outs + o];
            }
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(D, x, rows, ins).RequireGrad();
        var tw = Tensor.FromArray(D, w, outs, ins).RequireGrad();
        var tb = Tensor.FromArray(D, b, outs).RequireGrad();
        using var tape = new Tape();
        Tensor ty;
        using (tape.Record()) ty = Ops.Linear(tx, tw, tb);
        tape.Backward(ty, Tensor.FromArray(D, g, rows, outs));
        Close.Relative(y, ty.ToArray(), 1e-4, "y");
        Close.Relative(dx, tx.Grad!.ToArray(), 1e-4, "dx");
        Close.Relative(dw, tw.Grad!.ToArray(), 1e-4, "dW");
        Close.Relative(db, tb.Grad!.ToArray(), 1e-4, "db");
    }

    [Fact]
    public void Too_short_views_are_refused_with_the_operand_named()
    {
        RequireCpu();
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros(D, 4, 6);
        var w = Tensor.Zeros(D, 3, 6);
        var y = Tensor.Zeros(D, 4, 2);
        var e = Assert.Throws<ArgumentException>(() => SpikeGemm.Forward(D, x.View, w.View, y.View, 4, 3, 6, eventDrivenBelow: Event));
        Assert.Contains("y [4, 3]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => SpikeGemm.WeightGradient(D, y.View, x.View, w.View, 4, 3, 6, eventDrivenBelow: Event));
        Assert.Contains("g [4, 3]", e.Message, StringComparison.Ordinal);
    }

    /// <summary>y = alpha·x·Wᵀ + beta·y0 through <see cref="SpikeGemm.Forward"/> against <see cref="ReferenceGemm"/>.</summary>
    private void CheckForward(float[] x, int rows, int outs, int ins, float alpha, float beta, float? threshold, string what)
    {
        var w = Rand.Uniform(outs * ins, outs + 5 * ins);
        var y0 = Rand.Uniform(rows * outs, rows + outs);
        var (expected, scale) = ReferenceGemm.WithMagnitude(x, w, rows, outs, ins, transB: true, alpha: alpha, beta: beta, c0: y0);
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(D, x, rows, ins);
        var tw = Tensor.FromArray(D, w, outs, ins);
        // With beta == 0 y must not be read: start from NaN garbage.
        var ty = beta == 0f ? Tensor.Full(D, float.NaN, rows, outs) : Tensor.FromArray(D, y0, rows, outs);
        SpikeGemm.Forward(D, tx.View, tw.View, ty.View, rows, outs, ins, alpha, beta, threshold);
        AssertClose(expected, scale, ty.ToArray(), $"forward {rows}x{outs}x{ins} {what}");
    }

    /// <summary>dW = alpha·gᵀ·x + beta·dW0 through <see cref="SpikeGemm.WeightGradient"/> against <see cref="ReferenceGemm"/>.</summary>
    private void CheckWeightGradient(float[] x, int rows, int outs, int ins, float alpha, float beta, float? threshold, string what)
    {
        var g = Rand.Uniform(rows * outs, 3 * rows + outs);
        var dw0 = Rand.Uniform(outs * ins, outs + ins);
        var (expected, scale) = ReferenceGemm.WithMagnitude(g, x, outs, ins, rows, transA: true, alpha: alpha, beta: beta, c0: dw0);
        using var scope = TensorScope.Begin();
        var tg = Tensor.FromArray(D, g, rows, outs);
        var tx = Tensor.FromArray(D, x, rows, ins);
        var tdw = beta == 0f ? Tensor.Full(D, float.NaN, outs, ins) : Tensor.FromArray(D, dw0, outs, ins);
        SpikeGemm.WeightGradient(D, tg.View, tx.View, tdw.View, rows, outs, ins, alpha, beta, threshold);
        AssertClose(expected, scale, tdw.ToArray(), $"weight gradient {rows}x{outs}x{ins} {what}");
    }

    /// <summary>Each element within 1e-5 of the sum of its terms' magnitudes (float summation of up to 3136 terms).</summary>
    private static void AssertClose(double[] expected, double[] scale, float[] got, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(got[i] - expected[i]) <= 1e-6 + 1e-5 * scale[i]))
                Assert.Fail($"{what}: element {i} = {got[i]:G9}, expected {expected[i]:G9} (terms' magnitude {scale[i]:G5})");
    }
}
