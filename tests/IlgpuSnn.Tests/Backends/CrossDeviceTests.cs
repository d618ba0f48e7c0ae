using ILGPU.Runtime;
using IlgpuSnn.Estimators;
using IlgpuSnn.Kernels;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Backends;

/// <summary>
/// The device under test against the CPU accelerator on the same inputs. With ILGPUSNN_DEVICE=opencl (PoCL in CI) the
/// device under test runs the GPU configuration: the 16×16 tiled GEMM, element-wise and reduction kernels on the
/// launch plan's multi-group grid, the fused neuron kernels, and every estimator's whole backward on a conv net. On the
/// CPU accelerator the device under test runs the portable element-wise kernels against the reference's host-pointer
/// kernels, so the comparison is never of a code path with itself.
/// Tolerances, stated per check: GEMM and sums by the float32 rounding bound of their terms (2e-5 · Σ|term|); spikes
/// equal except where a potential lies within rounding of the threshold (at most 0.2 % of spikes); the loss within 1e-4
/// plus 2e-3 per flipped spike; gradients of a whole network within 2e-3 of their norm (a spike flipped by rounding
/// moves them by about that much).
/// </summary>
public sealed class CrossDeviceTests(TestDevice fixture) : IDisposable
{
    private readonly Device reference = Device.Create("cpu");
    private readonly bool portableOnCpu = SwitchToPortable(fixture);

    private Device Tested => fixture.Device;

    public void Dispose()
    {
        if (portableOnCpu) Tested.Launch.UseHostKernels = true;
        reference.Dispose();
    }

    /// <summary>On the CPU accelerator the device under test runs the portable kernels (restored by Dispose).</summary>
    private static bool SwitchToPortable(TestDevice fixture)
    {
        if (fixture.IsGpu) return false;
        fixture.Device.Launch.UseHostKernels = false;
        return true;
    }

    [Fact]
    public void A_non_cpu_device_runs_the_gpu_configuration()
    {
        if (!fixture.IsGpu) Assert.Skip("the CPU accelerator runs the CPU configuration; set ILGPUSNN_DEVICE=opencl (or cuda) to check a GPU configuration");
        var plan = Tested.Launch;
        Assert.False(plan.IsCpu);
        Assert.False(plan.UseHostKernels);
        Assert.True(plan.UseTiledGemm);
        Assert.Equal(GemmKernels.MaxTileThreads, Gemm.TiledThreads(Tested));
        Assert.Equal(Math.Min(256, Tested.Accelerator.MaxNumThreadsPerGroup), plan.GroupSize);
        Assert.True(plan.MaxGroups > 1, $"a GPU grid has many groups, got {plan.MaxGroups}");
        Assert.True(plan.GridStride(1_000_000).GridDim.X > 1);
    }

    [Theory]
    [InlineData(70, 65, 33)]
    [InlineData(128, 96, 200)]
    [InlineData(1, 17, 5)]
    public void Gemm_matches_the_cpu(int m, int n, int k)
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                var a = Rand.Uniform(m * k, m + k, -1f, 1f);
                var b = Rand.Uniform(k * n, n + 2 * k, -1f, 1f);
                var c = Rand.Uniform(m * n, 3, -1f, 1f);
                float[] Run(Device d)
                {
                    using var scope = TensorScope.Begin();
                    var tc = Tensor.FromArray(d, c, m * n);
                    Gemm.Run(d, Tensor.FromArray(d, a, a.Length).View, Tensor.FromArray(d, b, b.Length).View, tc.View, m, n, k, ta, tb, 0.75f, 0.5f);
                    return tc.ToArray();
                }

                var expected = Run(reference);
                var actual = Run(Tested);
                var magnitudes = ReferenceGemm.WithMagnitude(a, b, m, n, k, ta, tb, 0.75, 0.5, c).Magnitude;
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double magnitude = magnitudes[i * n + j];
                        Assert.True(Math.Abs(expected[i * n + j] - actual[i * n + j]) <= 2e-5 * magnitude + 1e-7,
                            $"GEMM {m}x{n}x{k} ta={ta} tb={tb} at ({i},{j}): cpu {expected[i * n + j]}, {Tested.Kind} {actual[i * n + j]}");
                    }
            }
    }

    [Fact]
    public void Reductions_match_the_cpu()
    {
        // Long axes take the two-stage path (interleaved partial sums), short ones the single pass.
        foreach (var (outer, axis, inner) in new[] { (3, 5000, 7), (64, 3, 5), (1, 100_000, 1) })
        {
            var x = Rand.Uniform(outer * axis * inner, axis, -1f, 1f);
            float[] Sum(Device d)
            {
                using var scope = TensorScope.Begin();
                var y = Tensor.Empty(d, outer * inner);
                Reduce.SumAxis(d, Tensor.FromArray(d, x, x.Length).View, y.View, axis, inner, 0.5f);
                return y.ToArray();
            }

            var expected = Sum(reference);
            var actual = Sum(Tested);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double magnitude = 0;
                    for (int a = 0; a < axis; a++) magnitude += 0.5 * Math.Abs(x[(o * axis + a) * inner + i]);
                    Assert.True(Math.Abs(expected[o * inner + i] - actual[o * inner + i]) <= 2e-5 * magnitude,
                        $"SumAxis [{outer},{axis},{inner}] at ({o},{i}): cpu {expected[o * inner + i]}, {Tested.Kind} {actual[o * inner + i]}");
                }

            float[] Broadcast(Device d)
            {
                using var scope = TensorScope.Begin();
                var gx = Tensor.Empty(d, x.Length);
                Reduce.BroadcastAxis(d, Tensor.FromArray(d, expected, expected.Length).View, gx.View, axis, inner, 2f);
                return gx.ToArray();
            }

            Assert.Equal(Broadcast(reference), Broadcast(Tested));
        }

        // Row maxima of distinct values: exact, with the same index.
        const int rows = 300, row = 257;
        var distinct = Enumerable.Range(0, rows * row).Select(i => (float)((i * 7919L) % (rows * row)) / row).ToArray();
        (float[], int[]) Max(Device d)
        {
            using var scope = TensorScope.Begin();
            var max = Tensor.Empty(d, rows);
            using var index = d.Accelerator.Allocate1D<int>(rows);
            Reduce.MaxLastAxis(d, Tensor.FromArray(d, distinct, distinct.Length).View, max.View, index.View, row);
            var indices = new int[rows];
            d.Synchronize(); // the CPU accelerator records kernels until the host waits; ILGPU's own copy does not
            index.View.CopyToCPU(d.Accelerator.DefaultStream, indices);
            d.Synchronize();
            return (max.ToArray(), indices);
        }

        var (maxCpu, indexCpu) = Max(reference);
        var (maxTested, indexTested) = Max(Tested);
        Assert.Equal(maxCpu, maxTested);
        Assert.Equal(indexCpu, indexTested);
    }

    /// <summary>
    /// Every built-in one-state neuron (this test drives the one-state kernel set with a state of n values); two-state
    /// neurons (ALIF) run on the device under test through their own tests (Neurons/AlifTests), which the OpenCL suite runs too.
    /// </summary>
    public static TheoryData<string, string, bool> Neurons()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var neuron in NeuronSpec.Names.Where(name => NeuronSpec.Named(name).Model.StateVariables == 1))
            foreach (var surrogate in new[] { "sigmoid", "triangle", "rectangle", "atan" })
                foreach (bool hard in new[] { false, true })
                    data.Add(neuron, surrogate, hard);
        return data;
    }

    [Theory]
    [MemberData(nameof(Neurons))]
    public void Fused_neuron_sequence_forward_and_backward_match_the_cpu(string neuron, string surrogate, bool hardReset)
    {
        const int n = 3000, steps = 8;
        var spec = NeuronSpec.Named(neuron, Surrogate.Parse(surrogate)) with { Reset = hardReset ? ResetMode.Hard : ResetMode.Soft };
        var kernels = NeuronKernelSetFactory.For(spec);
        bool hasParameter = spec.Model.HasParameter;
        var current = Rand.Uniform(n * steps, 11, -0.5f, 1.5f);
        var initial = Rand.Uniform(n, 13, 0f, 0.5f);
        var spikeGrad = Rand.Uniform(n * steps, 12, -1f, 1f);
        (float[] Spikes, float[] Surrogate, float[] Potential, float[] State, float[] CurrentGrad, float[] ParameterGrad) Run(Device d)
        {
            using var scope = TensorScope.Begin();
            var s = Tensor.Empty(d, n * steps);
            var sg = Tensor.Empty(d, n * steps);
            var u = Tensor.Empty(d, n * steps);
            var v = Tensor.FromArray(d, initial, n);
            var v0 = Tensor.FromArray(d, initial, n);
            var gi = Tensor.Empty(d, n * steps);
            var gp = Tensor.Empty(d, n);
            ILGPU.ArrayView<float>? theta = hasParameter ? Tensor.FromArray(d, [0.3f], 1).View : null;
            kernels.Sequence(d, Tensor.FromArray(d, current, current.Length).View, s.View, sg.View, u.View, v.View, theta, n, steps);
            kernels.SequenceBackward(d, Tensor.FromArray(d, spikeGrad, spikeGrad.Length).View, sg.View, s.View, u.View, v0.View, gi.View, gp.View, theta, n, steps);
            return (s.ToArray(), sg.ToArray(), u.ToArray(), v.ToArray(), gi.ToArray(), gp.ToArray());
        }

        var expected = Run(reference);
        var actual = Run(Tested);
        int flipped = expected.Spikes.Zip(actual.Spikes).Count(e => e.First != e.Second);
        Assert.True(flipped <= expected.Spikes.Length / 500, $"{flipped} of {expected.Spikes.Length} spikes differ");
        // Neurons whose spikes all agree must agree in every saved value and gradient.
        var agreeing = Enumerable.Range(0, n).Where(i => Enumerable.Range(0, steps).All(t => expected.Spikes[t * n + i] == actual.Spikes[t * n + i])).ToHashSet();
        Assert.True(agreeing.Count >= n - flipped);
        void Close(float[] e, float[] a, string what)
        {
            for (int k = 0; k < e.Length; k++)
                if (agreeing.Contains(k % n))
                    Assert.True(Math.Abs(e[k] - a[k]) <= 1e-5 * (1 + Math.Abs(e[k])), $"{what}[{k}]: cpu {e[k]}, {Tested.Kind} {a[k]}");
        }

        Close(expected.Surrogate, actual.Surrogate, "surrogate");
        Close(expected.Potential, actual.Potential, "potential");
        Close(expected.State, actual.State, "state");
        Close(expected.CurrentGrad, actual.CurrentGrad, "current gradient");
        Close(expected.ParameterGrad, actual.ParameterGrad, "parameter gradient");
    }

    public static TheoryData<string> Estimators() => [.. EstimatorFactory.Names];

    [Theory]
    [MemberData(nameof(Estimators))]
    public void Every_estimators_conv_net_gradients_match_the_cpu(string estimator)
    {
        var expected = Gradients(reference, estimator);
        var actual = Gradients(Tested, estimator);
        int flipped = expected.Spikes.Zip(actual.Spikes).Count(e => e.First != e.Second);
        Assert.True(flipped <= expected.Spikes.Count / 500, $"{estimator}: {flipped} of {expected.Spikes.Count} spikes differ");
        // A spike flipped by rounding (a potential within float32 rounding of the threshold, allowed above) moves the
        // loss by about 1e-3 of its size; with every spike equal the losses agree to summation-order rounding.
        Assert.Equal(expected.Loss, actual.Loss, (1e-4 + 2e-3 * flipped) * (1 + Math.Abs(expected.Loss)));
        Assert.Equal(expected.Grads.Count, actual.Grads.Count);
        for (int i = 0; i < expected.Grads.Count; i++)
        {
            double norm = Math.Sqrt(expected.Grads[i].Sum(g => (double)g * g));
            double error = Math.Sqrt(expected.Grads[i].Zip(actual.Grads[i]).Sum(e => (double)(e.First - e.Second) * (e.First - e.Second)));
            Assert.True(norm > 0, $"{estimator}: parameter {i} has no gradient on the CPU");
            Assert.True(error <= 2e-3 * norm + 1e-6, $"{estimator}: parameter {i} gradient differs by {error:E3} (norm {norm:E3})");
        }
    }

    private sealed record Outcome(double Loss, List<float> Spikes, List<float[]> Grads);

    /// <summary>
    /// One training sequence of a conv SNN (batch 8, T = 4) on <paramref name="device"/>: the loss, every spike and
    /// every parameter's gradient summed over the method's updates.
    /// </summary>
    private static Outcome Gradients(Device device, string estimator)
    {
        const int steps = 4, batch = 8;
        var lif = NeuronSpec.Lif(surrogate: Surrogate.Sigmoid(4f));
        using var network = SpikingNetwork.Build(device, [1, 12, 12], b => b
            .Conv2d(8, 3, padding: 1, bias: false).BatchNorm().Lif(lif).AvgPool2d(2)
            .Conv2d(16, 3, padding: 1, bias: false).BatchNorm().Lif(lif)
            .Flatten().Linear(10), seed: 21);
        using var method = EstimatorFactory.Create(estimator, new EstimatorOptions { K = estimator == "sltt-k" ? 2 : null });
        method.Attach(network);
        var parameters = network.Parameters.Concat(method.ExtraParameters).ToList();
        var sums = parameters.Select(p => new float[p.Length]).ToList();
        var spikes = new List<float>();
        using var scope = TensorScope.Begin();
        // SAF refuses BatchNorm with an input that changes over time (not exact there): give it one frame repeated.
        var frame = Rand.Uniform(batch * 144, 24, 0f, 1.5f);
        var values = estimator.StartsWith("saf", StringComparison.Ordinal)
            ? Enumerable.Range(0, steps).SelectMany(_ => frame).ToArray()
            : Rand.Uniform(steps * batch * 144, 22, 0f, 1.5f);
        var input = Tensor.FromArray(device, values, steps, batch, 1, 12, 12);
        var labels = Tensor.FromArray(device, Enumerable.Range(0, batch).Select(i => (float)(i % 10)).ToArray(), batch);
        var loss = new SequenceLoss(Criterion.CrossEntropy, method.RequiredReduction ?? LossReduction.PerStep, labels);
        var result = method.Run(network, input, loss, new EstimatorContext
        {
            Seed = 23,
            Update = () =>
            {
                for (int i = 0; i < parameters.Count; i++)
                {
                    if (parameters[i].Grad is not { } g) continue;
                    var values = g.ToArray();
                    for (int j = 0; j < values.Length; j++) sums[i][j] += values[j];
                    Elementwise.Fill(device, g.View, 0f);
                }
            },
            OnSpikes = (_, _, s) => spikes.AddRange(s.ToArray()),
        });
        return new Outcome(result.Loss, spikes, sums);
    }
}
