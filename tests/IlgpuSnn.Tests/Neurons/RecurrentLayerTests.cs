using IlgpuSnn.Autodiff;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// The recurrent spiking layer (I[t] = x[t] + W_rec·s[t−1]) against a double-precision BPTT written from the
/// equations, unrolled step mode against sequence mode, and the estimators that are defined for it.
/// </summary>
public sealed class RecurrentLayerTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sequence_mode_matches_a_double_precision_bptt(bool detach)
    {
        const int T = 5, B = 2, H = 6;
        const double decay = 0.6, vth = 1;
        var spec = NeuronSpec.Lif(0.6f, 1f, ResetMode.Soft, detach, Surrogate.Sigmoid());
        using var layer = new NeuronLayer(D, spec, new Random(4), H);
        var w = layer.Recurrent!.ToArray();
        float[] x = [];
        double[] s = [], sg = [];
        for (int attempt = 0; ; attempt++)
        {
            x = Rand.Uniform(T * B * H, 101 + attempt, -0.2f, 1.4f);
            (s, sg, double margin) = Forward(x);
            if (margin > 1e-3) break;
        }
        var r = Rand.Uniform(T * B * H, 102);

        var gx = new double[T * B * H];
        var gw = new double[H * H];
        for (int b = 0; b < B; b++)
        {
            var guNext = new double[H];
            var giNext = new double[H];
            for (int t = T - 1; t >= 0; t--)
            {
                var gi = new double[H];
                for (int j = 0; j < H; j++)
                {
                    int k = (t * B + b) * H + j;
                    double gs = r[k];
                    for (int i = 0; i < H; i++) gs += w[i * H + j] * giNext[i]; // ∂I[t+1]_i/∂s[t]_j = W[i, j]
                    double gv = decay * guNext[j];
                    double gu = gs * sg[k] + gv * (detach ? 1 : 1 - vth * sg[k]);
                    gi[j] = gu;
                    gx[k] = gu;
                }
                if (t > 0)
                    for (int i = 0; i < H; i++)
                        for (int j = 0; j < H; j++) gw[i * H + j] += gi[i] * s[((t - 1) * B + b) * H + j];
                guNext = gi;
                giNext = gi;
            }
        }

        using var scope = TensorScope.Begin();
        layer.Recurrent!.ClearGrad();
        var input = Tensor.FromArray(D, x, T * B, H).RequireGrad();
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = layer.Forward(input, new Pass { TimeSteps = T, BatchSize = B, Training = true });
        Assert.Equal(s.Select(v => (float)v).ToArray(), y.ToArray());
        using var seed = Tensor.FromArray(D, r, T * B, H);
        tape.Backward(y, seed);
        Close.Within(gx, input.Grad!.ToArray(), 1e-5, 1e-4, "dL/dx");
        Close.Within(gw, layer.Recurrent!.Grad!.ToArray(), 1e-5, 1e-4, "dL/dW_rec");
        layer.ResetState();

        (double[] S, double[] Sg, double Margin) Forward(float[] current)
        {
            var spikes = new double[T * B * H];
            var sgs = new double[T * B * H];
            double margin = double.MaxValue;
            for (int b = 0; b < B; b++)
            {
                var v = new double[H];
                for (int t = 0; t < T; t++)
                    for (int i = 0; i < H; i++)
                    {
                        int k = (t * B + b) * H + i;
                        double input = current[k];
                        if (t > 0)
                            for (int j = 0; j < H; j++) input += w[i * H + j] * spikes[((t - 1) * B + b) * H + j];
                        double u = decay * v[i] + input;
                        double z = u - vth;
                        spikes[k] = z >= 0 ? 1 : 0;
                        sgs[k] = LifReference.Sg("sigmoid", 4, z);
                        v[i] = u - vth * spikes[k];
                        margin = Math.Min(margin, Math.Abs(z));
                    }
            }
            return (spikes, sgs, margin);
        }
    }

    private (float[] Weights, float[] Spikes) Gradients(string estimator, int steps, EstimatorOptions? options = null, NeuronSpec? spec = null)
    {
        const int B = 3, F = 5;
        using var network = SpikingNetwork.Build(D, [F], b => b.Linear(7).Recurrent(spec).Linear(3), seed: 5);
        using var method = EstimatorFactory.Create(estimator, options);
        method.Attach(network);
        foreach (var p in network.Parameters) p.ClearGrad();
        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(D, Rand.Uniform(steps * B * F, 21, 0f, 1.5f), steps, B, F);
        var target = Tensor.FromArray(D, Rand.Uniform(B * 3, 22, 0f, 1f), B, 3);
        var loss = new SequenceLoss(Criterion.HalfSquaredError, LossReduction.PerStep, target);
        var weights = new List<float>();
        var spikes = new List<float>();
        method.Run(network, input, loss, new EstimatorContext
        {
            Update = () =>
            {
                foreach (var p in network.Parameters) weights.AddRange(p.Grad?.ToArray() ?? new float[p.Length]);
            },
            OnSpikes = (_, _, s) => spikes.AddRange(s.ToArray()),
        });
        return (weights.ToArray(), spikes.ToArray());
    }

    [Theory]
    [InlineData("lif")]
    [InlineData("alif")]
    public void Bptt_equals_full_window_truncation_and_step_mode_sltt_equals_bptt_for_one_step(string neuron)
    {
        var spec = NeuronSpec.Named(neuron);
        var bptt = Gradients("bptt", 4, spec: spec);
        var full = Gradients("tt-lbptt", 4, new EstimatorOptions { Window = 4 }, spec);
        Assert.Equal(bptt.Spikes, full.Spikes);
        // Windows of 2 carry the whole state (both of ALIF's variables) across: the forward is the same.
        Assert.Equal(bptt.Spikes, Gradients("tt-lbptt", 4, new EstimatorOptions { Window = 2 }, spec).Spikes);
        Close.Within(bptt.Weights.Select(x => (double)x).ToArray(), full.Weights, 1e-6, 1e-5, "tt-lbptt");
        var sltt = Gradients("sltt", 4, spec: spec);
        Assert.Equal(bptt.Spikes, sltt.Spikes); // step mode walks the same forward as the unrolled sequence
        Assert.Contains(sltt.Weights, w => w != 0f);
        Close.Within(Gradients("bptt", 1, spec: spec).Weights.Select(x => (double)x).ToArray(), Gradients("sltt", 1, spec: spec).Weights,
            1e-6, 1e-5, "T = 1");
    }

    [Fact]
    public void Windows_of_truncation_run_and_recurrent_plif_trains_its_decay()
    {
        var windows = Gradients("tt-lbptt", 4, new EstimatorOptions { Window = 2 });
        Assert.All(windows.Weights, w => Assert.True(float.IsFinite(w)));
        var plif = Gradients("bptt", 4, spec: NeuronSpec.Plif());
        Assert.All(plif.Weights, w => Assert.True(float.IsFinite(w)));
    }

    [Theory]
    [InlineData("ottt-a", "OTTT")]
    [InlineData("saf-e", "SAF")]
    [InlineData("ratebp", "RateBP")]
    public void Methods_that_assume_feed_forward_spikes_refuse_the_recurrent_layer(string estimator, string method)
    {
        var e = Assert.Throws<NotSupportedException>(() => Gradients(estimator, 3));
        Assert.Contains("recurrent", e.Message, StringComparison.Ordinal);
        Assert.Contains(method, e.Message, StringComparison.Ordinal);
    }
}
