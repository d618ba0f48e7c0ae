using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.NormPool;

/// <summary>
/// BatchNorm fused into the neuron kernel that follows it (<see cref="Ops.BatchNormNeuronSequence"/>): the statistics
/// pass writes a per-channel table, the neuron kernel normalises x as it reads it, and the backward recomputes x̂ from x.
/// Checked against an independent double-precision loop (BatchNorm, then LIF, forward and BPTT by hand) and against
/// Ops.BatchNorm followed by Ops.NeuronSequence: the same float operations in the same order, so on the CPU every
/// spike, state, gradient and running statistic is identical (a missing γ, a wrong channel or a wrong x̂ changes them),
/// on the host kernels (SIMD blocks and scalar tails: 2 or 4 workers' shares of 672–1500 neurons) and the portable
/// ones, for wide planes (S = 16), narrow planes (S = 4) and BatchNorm1d (S = 1), in training and evaluation.
/// </summary>
public sealed class BatchNormNeuronFusionTests(TestDevice fixture)
{
    public static TheoryData<string, string, bool, bool> Cases()
    {
        var data = new TheoryData<string, string, bool, bool>();
        foreach (var layout in new[] { "wide", "narrow", "linear" })
            foreach (var neuron in new[] { "lif", "lif-hard-detach-triangle", "if-atan", "plif" })
                foreach (bool training in new[] { true, false })
                    data.Add(layout, neuron, training, true);
        data.Add("wide", "lif", true, false);
        data.Add("narrow", "plif", true, false);
        data.Add("linear", "lif-hard-detach-triangle", false, false);
        data.Add("linear", "lif", true, false);
        return data;
    }

    private static int[] Shape(string layout, int steps) => layout switch
    {
        "wide" => [steps * 12, 7, 4, 4],
        "narrow" => [steps * 24, 7, 2, 2],
        _ => [steps * 50, 30],
    };

    private static NeuronSpec Spec(string neuron) => neuron switch
    {
        "lif-hard-detach-triangle" => NeuronSpec.Lif(0.6f, 0.8f, ResetMode.Hard, true, Surrogate.Triangle()),
        "if-atan" => NeuronSpec.If(0.9f, ResetMode.Soft, false, Surrogate.ATan()),
        "plif" => NeuronSpec.Plif(0.6f, 0.8f),
        _ => NeuronSpec.Lif(0.6f, 0.8f),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_pass_gives_batchnorm_then_neuron(string layout, string neuron, bool training, bool hostKernels)
    {
        if (!hostKernels && !fixture.Device.Launch.UseHostKernels) Assert.Skip("the portable kernels are what this device runs in the other cases");
        using var device = fixture.CreateFresh();
        device.Launch.UseHostKernels &= hostKernels;
        const int T = 3;
        var spec = Spec(neuron);
        var fused = Run(device, Shape(layout, T), T, spec, training, fuse: true);
        var separate = Run(device, Shape(layout, T), T, spec, training, fuse: false);
        Assert.Equal(separate.Length, fused.Length);
        for (int k = 0; k < fused.Length; k++) Same(separate[k], fused[k], $"output {k}");
    }

    /// <summary>
    /// Spikes, final state, dx, dγ, dβ, dθ, running mean and variance of BatchNorm → neuron sequence over T steps, with
    /// γ and β away from 1 and 0, a carried initial state and a random spike gradient.
    /// </summary>
    private static float[][] Run(Device device, int[] shape, int steps, NeuronSpec spec, bool training, bool fuse)
    {
        using var scope = TensorScope.Begin();
        int channels = shape[1];
        long length = shape.Aggregate(1L, (a, d) => a * d);
        int n = (int)(length / steps);
        var x = Tensor.FromArray(device, Rand.Uniform((int)length, 11, -1f, 2.5f), shape).RequireGrad();
        var gamma = Tensor.FromArray(device, Rand.Uniform(channels, 12, 0.4f, 1.8f), channels).RequireGrad();
        var beta = Tensor.FromArray(device, Rand.Uniform(channels, 13, -0.3f, 0.9f), channels).RequireGrad();
        var runningMean = Tensor.FromArray(device, Rand.Uniform(channels, 14, -0.2f, 0.5f), channels);
        var runningVar = Tensor.FromArray(device, Rand.Uniform(channels, 15, 0.5f, 1.5f), channels);
        var state = Tensor.FromArray(device, Rand.Uniform(n, 16, -0.3f, 0.7f), n);
        var w = spec.Model.HasParameter ? Tensor.FromArray(device, [0.4f], 1).RequireGrad() : null;
        var gs = Tensor.FromArray(device, Rand.Uniform((int)length, 17), shape);
        Tensor s;
        using (var tape = new Tape())
        {
            using (tape.Record())
            {
                if (fuse)
                {
                    s = Ops.BatchNormNeuronSequence(x, steps, gamma, beta, runningMean, runningVar, training, 0.1f, 1e-5f, spec, w, state);
                }
                else
                {
                    var y = Ops.BatchNorm(x, gamma, beta, runningMean, runningVar, training);
                    s = Ops.NeuronSequence(y.Reshape(steps, n), spec, w, state).Reshape(shape);
                }
            }
            tape.Backward(s, gs);
        }
        return [s.ToArray(), state.ToArray(), x.Grad!.ToArray(), gamma.Grad!.ToArray(), beta.Grad!.ToArray(), w?.Grad!.ToArray() ?? [],
            runningMean.ToArray(), runningVar.ToArray()];
    }

    private void Same(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        if (!fixture.IsGpu)
        {
            for (int i = 0; i < expected.Length; i++)
                Assert.True(expected[i].Equals(actual[i]), $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
            return;
        }
        // A GPU compiler may contract a·b + c into one rounding in one kernel and not in the other.
        double scale = expected.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
        int far = Enumerable.Range(0, expected.Length).Count(i => Math.Abs(expected[i] - actual[i]) > 1e-4 * Math.Max(1, scale));
        Assert.True(far <= expected.Length / 200, $"{what}: {far} of {expected.Length} values differ");
    }

    [Theory]
    [InlineData("wide")]
    [InlineData("narrow")]
    [InlineData("linear")]
    public void Fused_pass_matches_a_double_precision_loop(string layout)
    {
        const int T = 3;
        const double decay = 0.6, threshold = 0.8, alpha = 4, eps = 1e-5, momentum = 0.1;
        var shape = Layout(layout);
        int rows = shape[0], channels = shape[1], spatial = shape.Length == 4 ? shape[2] * shape[3] : 1;
        int length = rows * channels * spatial, n = length / T;
        for (int seed = 1; ; seed++)
        {
            var xs = Rand.Uniform(length, 100 + seed, -1f, 2.5f);
            var gammas = Rand.Uniform(channels, 200 + seed, 0.4f, 1.8f);
            var betas = Rand.Uniform(channels, 300 + seed, -0.3f, 0.9f);
            var gs = Rand.Uniform(length, 400 + seed);
            // BatchNorm: batch mean and biased variance per channel over the T·B rows and S positions.
            var mean = new double[channels];
            var variance = new double[channels];
            int Channel(int e) => e / spatial % channels;
            for (int e = 0; e < length; e++) mean[Channel(e)] += xs[e];
            for (int c = 0; c < channels; c++) mean[c] /= (double)length / channels;
            for (int e = 0; e < length; e++) variance[Channel(e)] += (xs[e] - mean[Channel(e)]) * (xs[e] - mean[Channel(e)]);
            for (int c = 0; c < channels; c++) variance[c] /= (double)length / channels;
            var xhat = new double[length];
            var y = new double[length];
            for (int e = 0; e < length; e++)
            {
                int c = Channel(e);
                xhat[e] = (xs[e] - mean[c]) / Math.Sqrt(variance[c] + eps);
                y[e] = gammas[c] * xhat[e] + betas[c];
            }
            // LIF with soft reset over the T planes of n neurons, sigmoid surrogate; BPTT through the reset.
            var spikes = new double[length];
            var sg = new double[length];
            double margin = double.MaxValue;
            for (int i = 0; i < n; i++)
            {
                double v = 0;
                for (int t = 0; t < T; t++)
                {
                    int k = t * n + i;
                    double u = decay * v + y[k], z = u - threshold;
                    margin = Math.Min(margin, Math.Abs(z));
                    spikes[k] = z >= 0 ? 1 : 0;
                    double sig = 1 / (1 + Math.Exp(-alpha * z));
                    sg[k] = alpha * sig * (1 - sig);
                    v = u - threshold * spikes[k];
                }
            }
            if (margin < 1e-3) continue;
            var dy = new double[length];
            for (int i = 0; i < n; i++)
            {
                double gv = 0;
                for (int t = T - 1; t >= 0; t--)
                {
                    int k = t * n + i;
                    double gu = gs[k] * sg[k] + gv * (1 - threshold * sg[k]);
                    dy[k] = gu;
                    gv = gu * decay;
                }
            }
            var dgamma = new double[channels];
            var dbeta = new double[channels];
            for (int e = 0; e < length; e++)
            {
                dgamma[Channel(e)] += dy[e] * xhat[e];
                dbeta[Channel(e)] += dy[e];
            }
            double m = (double)length / channels;
            var dx = new double[length];
            for (int e = 0; e < length; e++)
            {
                int c = Channel(e);
                dx[e] = gammas[c] / Math.Sqrt(variance[c] + eps) * (dy[e] - dbeta[c] / m - xhat[e] * dgamma[c] / m);
            }

            using var scope = TensorScope.Begin();
            var device = fixture.Device;
            var x = Tensor.FromArray(device, xs, shape).RequireGrad();
            var gamma = Tensor.FromArray(device, gammas, channels).RequireGrad();
            var beta = Tensor.FromArray(device, betas, channels).RequireGrad();
            var runningMean = Tensor.Zeros(device, channels);
            var runningVar = Tensor.FromArray(device, Enumerable.Repeat(1f, channels).ToArray(), channels);
            Tensor s;
            using (var tape = new Tape())
            {
                using (tape.Record())
                    s = Ops.BatchNormNeuronSequence(x, T, gamma, beta, runningMean, runningVar, true, (float)momentum, (float)eps, NeuronSpec.Lif(0.6f, 0.8f), null, null);
                tape.Backward(s, Tensor.FromArray(device, gs, shape));
            }
            Assert.Equal(spikes.Select(v => (float)v), s.ToArray());
            Close.Relative(dx, x.Grad!.ToArray(), 1e-4, "dx");
            Close.Relative(dgamma, gamma.Grad!.ToArray(), 1e-4, "dgamma");
            Close.Relative(dbeta, beta.Grad!.ToArray(), 1e-4, "dbeta");
            Close.Relative(mean.Select(v => momentum * v), runningMean.ToArray(), 1e-5, "running mean");
            Close.Relative(variance.Select(v => 1 - momentum + momentum * v * m / (m - 1)), runningVar.ToArray(), 1e-5, "running variance");
            return;
        }
    }

    private static int[] Layout(string layout) => layout switch
    {
        "wide" => [3 * 4, 3, 4, 4],
        "narrow" => [3 * 6, 3, 2, 2],
        _ => [3 * 10, 5],
    };

    [Fact]
    public void Neurons_without_the_kernel_form_are_refused_with_a_message()
    {
        using var scope = TensorScope.Begin();
        var device = fixture.Device;
        var x = Tensor.FromArray(device, Rand.Uniform(24, 1), 6, 4);
        var ones = Tensor.FromArray(device, [1f, 1f, 1f, 1f], 4);
        var zeros = Tensor.Zeros(device, 4);
        Assert.False(Ops.NormalizesNeuronInput(NeuronSpec.Alif()));
        var e = Assert.Throws<ArgumentException>(() => Ops.BatchNormNeuronSequence(x, 2, ones, zeros, zeros, ones, true, 0.1f, 1e-5f, NeuronSpec.Alif(), null, null));
        Assert.Contains("cannot normalise its input", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Ops.BatchNormNeuronSequence(x, 4, ones, zeros, zeros, ones, true, 0.1f, 1e-5f, NeuronSpec.Lif(), null, null));
        Assert.Contains("are not 4 time steps", e.Message, StringComparison.Ordinal);
    }
}
