using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

public sealed class RateAndSafTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    [Fact]
    public void Rate_statistics_of_spec_test_1()
    {
        // estimators.md §12 test 1 (λ = 0.5, sigmoid α = 4, reset detached): r = 2/3, e = (1, 1.5, 1.75), elig = 1.031260
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, [1.2f, 0.32f, 0.8f], 3, 1);
        var spikes = Ops.LifRateStatistics(current, NeuronSpec.Lif(0.5f, detachReset: true), out var rate, out var elig);
        Assert.Equal([1f, 0f, 1f], spikes.ToArray());
        Assert.Equal([1], rate.Shape);
        Close.Value(2.0 / 3.0, rate.Item(), 1e-6, "rate");
        Close.Value(1.031260, elig.Item(), 3e-6, "eligibility");
    }

    [Fact]
    public void Rate_statistics_of_spec_test_3()
    {
        // estimators.md §12 test 3: λ = 0.2, T = 4, I = W x constant, x = (0.9, 0.6), W = [[0.8, 0.5], [0.3, 1.1]]
        float ia = 0.8f * 0.9f + 0.5f * 0.6f, ib = 0.3f * 0.9f + 1.1f * 0.6f;
        var c = Enumerable.Range(0, 4).SelectMany(_ => new[] { ia, ib }).ToArray();
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, c, 4, 2);
        var spikes = Ops.LifRateStatistics(current, NeuronSpec.Lif(0.2f, detachReset: true), out var rate, out var elig);
        Assert.Equal([1f, 0f, 1f, 1f, 1f, 0f, 1f, 1f], spikes.ToArray());
        Close.Within([1.0, 0.5], rate.ToArray(), 1e-6, 0, "rate");
        Close.Within([1.169373, 1.131397], elig.ToArray(), 2e-6, 0, "eligibility");
    }

    [Theory]
    [InlineData(false, false, "sigmoid")]
    [InlineData(false, true, "sigmoid")]
    [InlineData(true, false, "triangle")]
    [InlineData(true, true, "atan")]
    public void Rate_statistics_match_a_double_reference(bool hard, bool detach, string kind)
    {
        const int T = 6, B = 4, F = 7;
        const double decay = 0.5, vth = 1.1;
        double alpha = LifReference.DefaultAlpha(kind);
        var c = LifReference.SafeCurrents(T, B * F, 81, decay, vth, hard, kind, alpha);
        var f = LifReference.Forward(c, T, decay, vth, hard, kind, alpha);
        int n = B * F;
        var rate = new double[n];
        var elig = new double[n];
        for (int i = 0; i < n; i++)
        {
            double e = 1;
            for (int t = 0; t < T; t++)
            {
                int k = t * n + i;
                rate[i] += f.S[k] / T;
                elig[i] += f.Sg[k] * e / T;
                double eps = hard
                    ? (detach ? decay * (1 - f.S[k]) : decay * (1 - f.S[k]) - decay * f.U[k] * f.Sg[k])
                    : (detach ? decay : decay * (1 - vth * f.Sg[k]));
                e = 1 + e * eps;
            }
        }
        using var scope = TensorScope.Begin();
        var spec = new NeuronSpec((float)decay, (float)vth, hard ? ResetMode.Hard : ResetMode.Soft, detach, Surrogate.Parse(kind));
        var spikes = Ops.LifRateStatistics(Tensor.FromArray(D, c, T, B, F), spec, out var r, out var el);
        Assert.Equal([B, F], r.Shape);
        Assert.Equal([B, F], el.Shape);
        Assert.Equal(f.S.Select(x => (float)x).ToArray(), spikes.ToArray());
        Close.Within(rate, r.ToArray(), 1e-6, 1e-6, "rate");
        Close.Within(elig, el.ToArray(), 1e-5, 1e-4, "eligibility");
    }

    [Fact]
    public void Rate_neuron_forwards_the_rate_and_scales_the_gradient_by_the_eligibility()
    {
        var input = Rand.Uniform(12, 91);
        var rate = Rand.Uniform(12, 92, 0, 1);
        var elig = Rand.Uniform(12, 93, 0, 2);
        var g = Rand.Uniform(12, 94);
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(D, input, 3, 4).RequireGrad();
        var r = Tensor.FromArray(D, rate, 3, 4);
        var e = Tensor.FromArray(D, elig, 3, 4);
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.RateNeuron(x, r, e);
        Assert.Equal(rate, y.ToArray());
        tape.Backward(y, Tensor.FromArray(D, g, 3, 4));
        Close.Within(g.Select((v, i) => (double)v * elig[i]).ToArray(), x.Grad!.ToArray(), 1e-7, 1e-6, "dL/dinput");
        Assert.Equal(rate, r.ToArray());
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(0.0)]
    public void Saf_spikes_equal_lif_spikes_and_the_gradient_uses_the_lif_surrogate(double decay)
    {
        const int T = 6, N = 30;
        var c = LifReference.SafeCurrents(T, N, 101, decay, 1, false, "sigmoid", 4, -0.3f, 1.0f, minMargin: 1e-3);
        var f = LifReference.Forward(c, T, decay, 1, false, "sigmoid", 4);
        var spec = NeuronSpec.Lif((float)decay);
        using var scope = TensorScope.Begin();
        var lif = Ops.LifSequence(Tensor.FromArray(D, c, T, N), spec).ToArray();
        Assert.Equal(f.S.Select(x => (float)x).ToArray(), lif);

        // accumulated input â_in[t] = λ·â_in[t−1] + I[t] (estimators.md §8.1), computed here
        var acc = new double[N];
        var expectedTrace = new double[N];
        var trace = Tensor.Zeros(D, N);
        for (int t = 0; t < T; t++)
        {
            for (int i = 0; i < N; i++) acc[i] = decay * acc[i] + c[t * N + i];
            var a = Tensor.FromArray(D, acc.Select(v => (float)v).ToArray(), N).RequireGrad();
            var g = Rand.Uniform(N, 200 + t);
            using var tape = new Tape();
            Tensor s;
            using (tape.Record()) s = Ops.SafStep(a, trace, spec);
            var sv = s.ToArray();
            Assert.Equal(lif.Skip(t * N).Take(N).ToArray(), sv);
            for (int i = 0; i < N; i++) expectedTrace[i] = decay * expectedTrace[i] + sv[i];
            Close.Within(expectedTrace, trace.ToArray(), 1e-6, 1e-6, $"trace at t={t}");
            tape.Backward(s, Tensor.FromArray(D, g, N));
            Close.Within(g.Select((v, i) => v * f.Sg[t * N + i]).ToArray(), a.Grad!.ToArray(), 1e-5, 1e-4, $"dL/da at t={t}");
        }
    }
}
