using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

public sealed class LifStepTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    public static TheoryData<bool, bool, string> Cases()
    {
        var data = new TheoryData<bool, bool, string>();
        foreach (var hard in new[] { false, true })
            foreach (var detach in new[] { false, true })
                foreach (var kind in LifReference.Surrogates)
                    data.Add(hard, detach, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unrolled_steps_equal_the_fused_sequence(bool hard, bool detach, string kind)
    {
        const int T = 5, B = 3, F = 8;
        const double decay = 0.7;
        double alpha = LifReference.DefaultAlpha(kind);
        var spec = new NeuronSpec(0.7f, 1f, hard ? ResetMode.Hard : ResetMode.Soft, detach, Surrogate.Parse(kind));
        var c = LifReference.SafeCurrents(T, B * F, 61, decay, 1, hard, kind, alpha, -0.3f, 1.2f);
        var r = Rand.Uniform(T * B * F, 62);

        using var scope = TensorScope.Begin();
        using var seed = Tensor.FromArray(D, r, T, B, F);

        var fusedIn = Tensor.FromArray(D, c, T, B, F).RequireGrad();
        float[] fusedSpikes;
        using (var tape = new Tape())
        {
            Tensor spikes;
            using (tape.Record()) spikes = Ops.LifSequence(fusedIn, spec);
            fusedSpikes = spikes.ToArray();
            tape.Backward(spikes, seed);
        }

        var stepIn = Tensor.FromArray(D, c, T, B, F).RequireGrad();
        var stepSpikes = new List<float>();
        using (var tape = new Tape())
        {
            var roots = new List<Tensor>();
            var seeds = new List<Tensor?>();
            using (tape.Record())
            {
                Tensor? v = null;
                for (int t = 0; t < T; t++)
                {
                    var s = Ops.LifStep(stepIn.Slice(t, 1).Reshape(B, F), v, spec, out var vNext);
                    v = vNext;
                    roots.Add(s);
                    seeds.Add(seed.Slice(t, 1).Reshape(B, F));
                }
            }
            Assert.Equal(3 * T, tape.NodeCount);
            foreach (var s in roots) stepSpikes.AddRange(s.ToArray());
            tape.Backward(roots, seeds);
        }

        Assert.Equal(fusedSpikes, stepSpikes.ToArray());
        var expected = fusedIn.Grad!.ToArray();
        var actual = stepIn.Grad!.ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6, $"dL/dI[{i}]: fused {expected[i]}, unrolled {actual[i]}");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void One_step_backpropagates_spike_and_potential_gradients(bool hard, bool detach)
    {
        const int N = 50;
        const double decay = 0.6;
        var prev = Rand.Uniform(N, 71, -0.5f, 1f);
        var cur = Rand.Uniform(N, 72, -0.2f, 1.2f);
        var gs = Rand.Uniform(N, 73);
        var gv = Rand.Uniform(N, 74);
        var spec = NeuronSpec.Lif(0.6f, reset: hard ? ResetMode.Hard : ResetMode.Soft, detachReset: detach, surrogate: Surrogate.ATan());

        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, cur, N).RequireGrad();
        var previous = Tensor.FromArray(D, prev, N).RequireGrad();
        using var tape = new Tape();
        Tensor s, v;
        using (tape.Record()) s = Ops.LifStep(current, previous, spec, out v);
        Assert.Equal(1, tape.NodeCount);
        var sv = s.ToArray();
        var vv = v.ToArray();
        tape.Backward([s, v], [Tensor.FromArray(D, gs, N), Tensor.FromArray(D, gv, N)]);
        var gi = current.Grad!.ToArray();
        var gp = previous.Grad!.ToArray();
        for (int i = 0; i < N; i++)
        {
            double u = decay * prev[i] + cur[i];
            double spike = u >= 1 ? 1 : 0;
            Assert.Equal(spike, sv[i]);
            Close.Value(hard ? u * (1 - spike) : u - spike, vv[i], 1e-6, $"v[{i}]");
            double sg = LifReference.Sg("atan", 2, u - 1);
            double gu = gs[i] * sg + gv[i] * LifReference.Jacobian(hard, detach, 1, u, spike, sg);
            Close.Value(gu, gi[i], 1e-6, $"dL/dI[{i}]");
            Close.Value(decay * gu, gp[i], 1e-6, $"dL/dv_prev[{i}]");
        }
    }

    [Fact]
    public void Detached_previous_potential_gives_the_sltt_gradient_of_test_vector_1()
    {
        // estimators.md §12 test 1: SLTT dL/dw = +0.358783
        double[] x = [1.5, 0.4, 1.0];
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, x.Select(v => (float)(0.8 * v)).ToArray(), 3, 1).RequireGrad();
        var spec = NeuronSpec.Lif(0.5f);
        using var tape = new Tape();
        var roots = new List<Tensor>();
        using (tape.Record())
        {
            Tensor? v = null;
            for (int t = 0; t < 3; t++)
            {
                roots.Add(Ops.LifStep(current.Slice(t, 1), v?.Detach(), spec, out var vNext));
                v = vNext;
            }
        }
        var s = roots.Select(r => r.Item()).ToArray();
        Assert.Equal([1f, 0f, 1f], s);
        tape.Backward(roots, s.Select(v => (Tensor?)Tensor.FromArray(D, [(v - 0.5f) / 3f], 1, 1)).ToList());
        var gi = current.Grad!.ToArray();
        Close.Value(0.358783, x.Select((v, t) => v * gi[t]).Sum(), 3e-6, "dL/dw");
    }

    [Fact]
    public void Step_without_previous_potential_starts_from_zero_and_records_nothing_without_grad()
    {
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, [0.5f, 1f, 1.5f, -1f], 2, 2);
        using var tape = new Tape();
        Tensor s, v;
        using (tape.Record()) s = Ops.LifStep(current, null, NeuronSpec.If(reset: ResetMode.Hard), out v);
        Assert.Equal(0, tape.NodeCount);
        Assert.Equal([0f, 1f, 1f, 0f], s.ToArray());
        Assert.Equal([0.5f, 0f, 0f, -1f], v.ToArray());
        Assert.Equal([2, 2], v.Shape);
    }
}
