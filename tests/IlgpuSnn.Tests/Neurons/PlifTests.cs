using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// PLIF (λ = sigmoid(w) learned per layer) against a double-precision reference written from the equations:
/// the LIF reference with λ = sigmoid(w) for the forward and dL/dI, and dL/dw = Σ g_u[t]·v[t−1]·λ(1 − λ).
/// </summary>
public sealed class PlifTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    public static TheoryData<bool, bool, bool> Cases()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (var hard in new[] { false, true })
            foreach (var detach in new[] { false, true })
                foreach (var withState in new[] { false, true })
                    data.Add(hard, detach, withState);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_sequence_matches_the_reference_including_the_decay_gradient(bool hard, bool detach, bool withState)
    {
        const int T = 6, N = 24;
        const float w = 0.4f;
        double lambda = 1 / (1 + Math.Exp(-w));
        var spec = NeuronSpec.Plif(0.5f, 1f, hard ? ResetMode.Hard : ResetMode.Soft, detach, Surrogate.Sigmoid());
        var v0 = withState ? Rand.Uniform(N, 71, -0.3f, 0.8f) : null;
        var c = LifReference.SafeCurrents(T, N, 72, lambda, 1, hard, "sigmoid", 4, -0.3f, 1.2f, v0: v0);
        var r = Rand.Uniform(T * N, 73);
        var reference = LifReference.Forward(c, T, lambda, 1, hard, "sigmoid", 4, v0);
        var gi = LifReference.Backward(reference, r.Select(x => (double)x).ToArray(), T, lambda, 1, hard, detach);
        double gw = 0;
        for (int t = 0; t < T; t++)
            for (int i = 0; i < N; i++)
            {
                double vPrev = t == 0 ? (v0?[i] ?? 0) : reference.V[(t - 1) * N + i];
                gw += gi[t * N + i] * vPrev * lambda * (1 - lambda);
            }

        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, c, T, N).RequireGrad();
        var parameter = Tensor.FromArray(D, [w], 1).RequireGrad();
        using var state = v0 is null ? null : Tensor.FromArray(D, v0, N);
        using var tape = new Tape();
        Tensor spikes;
        using (tape.Record()) spikes = Ops.NeuronSequence(current, spec, parameter, state);
        Assert.Equal(reference.S.Select(x => (float)x).ToArray(), spikes.ToArray());
        if (state is not null) Close.Within(reference.FinalV, state.ToArray(), 1e-5, 1e-5, "v[T]");
        using var seed = Tensor.FromArray(D, r, T, N);
        tape.Backward(spikes, seed);
        Close.Within(gi, current.Grad!.ToArray(), 1e-5, 1e-4, "dL/dI");
        Close.Value(gw, parameter.Grad!.Item(), 1e-4 + 1e-4 * Math.Abs(gw), "dL/dw");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Unrolled_steps_equal_the_fused_sequence(bool hard, bool detach)
    {
        const int T = 5, N = 16;
        const float w = -0.3f;
        double lambda = 1 / (1 + Math.Exp(-w));
        var spec = NeuronSpec.Plif(0.5f, 1f, hard ? ResetMode.Hard : ResetMode.Soft, detach, Surrogate.ATan());
        var c = LifReference.SafeCurrents(T, N, 81, lambda, 1, hard, "atan", 2, -0.3f, 1.3f);
        var r = Rand.Uniform(T * N, 82);

        using var scope = TensorScope.Begin();
        using var seed = Tensor.FromArray(D, r, T, N);
        var fusedIn = Tensor.FromArray(D, c, T, N).RequireGrad();
        var fusedW = Tensor.FromArray(D, [w], 1).RequireGrad();
        float[] fusedSpikes;
        using (var tape = new Tape())
        {
            Tensor s;
            using (tape.Record()) s = Ops.NeuronSequence(fusedIn, spec, fusedW);
            fusedSpikes = s.ToArray();
            tape.Backward(s, seed);
        }

        var stepIn = Tensor.FromArray(D, c, T, N).RequireGrad();
        var stepW = Tensor.FromArray(D, [w], 1).RequireGrad();
        using (var tape = new Tape())
        {
            var roots = new List<Tensor>();
            var seeds = new List<Tensor?>();
            using (tape.Record())
            {
                Tensor? v = null;
                for (int t = 0; t < T; t++)
                {
                    roots.Add(Ops.NeuronStep(stepIn.Slice(t, 1).Reshape(N), v, spec, stepW, out var next));
                    v = next;
                    seeds.Add(seed.Slice(t, 1).Reshape(N));
                }
            }
            for (int t = 0; t < T; t++) Assert.Equal(fusedSpikes.Skip(t * N).Take(N).ToArray(), roots[t].ToArray());
            tape.Backward(roots, seeds);
        }
        Close.Within(fusedIn.Grad!.ToArray().Select(x => (double)x).ToArray(), stepIn.Grad!.ToArray(), 1e-6, 1e-5, "dL/dI");
        Close.Value(fusedW.Grad!.Item(), stepW.Grad!.Item(), 1e-5 + 1e-5 * Math.Abs(fusedW.Grad!.Item()), "dL/dw");
    }

    [Fact]
    public void Starts_at_the_logit_of_the_initial_decay_and_refuses_decays_outside_the_open_interval()
    {
        Assert.Equal(0f, NeuronModel.Plif.InitialParameter(NeuronSpec.Plif(0.5f)), 6);
        Assert.Equal(MathF.Log(0.8f / 0.2f), NeuronModel.Plif.InitialParameter(NeuronSpec.Plif(0.8f)), 5);
        Assert.Throws<ArgumentException>(() => NeuronModel.Plif.InitialParameter(NeuronSpec.Plif(1f)));
        Assert.Throws<ArgumentException>(() => NeuronModel.Plif.InitialParameter(NeuronSpec.Plif(0f)));
    }

    [Fact]
    public void Ops_refuse_a_missing_or_stray_parameter()
    {
        using var scope = TensorScope.Begin();
        var c = Tensor.Zeros(D, 2, 3);
        var e = Assert.Throws<ArgumentException>(() => Ops.NeuronSequence(c, NeuronSpec.Plif()));
        Assert.Contains("plif", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Ops.NeuronSequence(c, NeuronSpec.Lif(), Tensor.Zeros(D, 1)));
        Assert.Contains("lif", e.Message, StringComparison.Ordinal);
    }
}
