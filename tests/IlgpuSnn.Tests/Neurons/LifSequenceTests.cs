using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

public sealed class LifSequenceTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    private static NeuronSpec Spec(double decay, bool hard, bool detach, string kind, double threshold = 1.0) =>
        new((float)decay, (float)threshold, hard ? ResetMode.Hard : ResetMode.Soft, detach,
            Surrogate.Parse(kind, (float)LifReference.DefaultAlpha(kind)));

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(false, 0.5)]
    [InlineData(false, 1.0)]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.5)]
    [InlineData(true, 1.0)]
    public void Forward_spikes_and_state_match_plain_loops(bool hard, double decay)
    {
        const int T = 7, B = 5, F = 9;
        const double vth = 0.8;
        var v0 = Rand.Uniform(B * F, 12, -0.3f, 0.7f);
        var c = LifReference.SafeCurrents(T, B * F, 11, decay, vth, hard, "sigmoid", 4, v0: v0);
        var expected = LifReference.Forward(c, T, decay, vth, hard, "sigmoid", 4, v0);
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, c, T, B, F);
        var state = Tensor.FromArray(D, v0, B, F);
        var spikes = Ops.LifSequence(current, Spec(decay, hard, false, "sigmoid", vth), state);
        Assert.Equal([T, B, F], spikes.Shape);
        Assert.Equal(expected.S.Select(x => (float)x).ToArray(), spikes.ToArray());
        Close.Within(expected.FinalV, state.ToArray(), 1e-5, 1e-5, "v[T]");
        Assert.True(expected.S.Sum() > 10 && expected.S.Sum() < expected.S.Length - 10, "the test input should make some neurons fire");
    }

    [Fact]
    public void Without_state_the_potential_starts_at_zero_and_the_state_carries_over_between_calls()
    {
        const int T = 8, N = 33;
        var spec = NeuronSpec.Lif(0.6f);
        var c = LifReference.SafeCurrents(T, N, 21, 0.6, 1, false, "sigmoid", 4);
        var expected = LifReference.Forward(c, T, 0.6, 1, false, "sigmoid", 4);
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, c, T, N);
        Assert.Equal(expected.S.Select(x => (float)x).ToArray(), Ops.LifSequence(current, spec).ToArray());

        // two halves with a carried state reproduce the whole sequence
        var state = Tensor.Zeros(D, N);
        var first = Ops.LifSequence(current.Slice(0, 3), spec, state).ToArray();
        var second = Ops.LifSequence(current.Slice(3, 5), spec, state).ToArray();
        Assert.Equal(expected.S.Select(x => (float)x).ToArray(), first.Concat(second).ToArray());
        Close.Within(expected.FinalV, state.ToArray(), 1e-5, 1e-5, "v[T]");
    }

    public static TheoryData<bool, bool, string> BackwardCases()
    {
        var data = new TheoryData<bool, bool, string>();
        foreach (var hard in new[] { false, true })
            foreach (var detach in new[] { false, true })
                foreach (var kind in LifReference.Surrogates)
                    data.Add(hard, detach, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(BackwardCases))]
    public void Fused_backward_matches_double_precision_bptt(bool hard, bool detach, string kind)
    {
        const int T = 6, N = 40;
        const double decay = 0.7, vth = 1.0;
        double alpha = LifReference.DefaultAlpha(kind);
        var c = LifReference.SafeCurrents(T, N, 31, decay, vth, hard, kind, alpha, -0.3f, 1.2f);
        var r = Rand.Uniform(T * N, 32);
        var reference = LifReference.Forward(c, T, decay, vth, hard, kind, alpha);
        var expectedGrad = LifReference.Backward(reference, r.Select(x => (double)x).ToArray(), T, decay, vth, hard, detach);

        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, c, T, N).RequireGrad();
        using var tape = new Tape();
        Tensor spikes;
        using (tape.Record()) spikes = Ops.LifSequence(current, Spec(decay, hard, detach, kind, vth));
        Assert.Equal(1, tape.NodeCount);
        Assert.Equal(reference.S.Select(x => (float)x).ToArray(), spikes.ToArray());
        using var seed = Tensor.FromArray(D, r, T, N);
        tape.Backward(spikes, seed);
        Close.Within(expectedGrad, current.Grad!.ToArray(), 1e-5, 1e-4, "dL/dI");
    }

    [Theory]
    [InlineData(false, false, 1)]
    [InlineData(true, false, 2)]
    [InlineData(true, true, 2)] // σ' and u: the spikes are recomputed from u
    public void Tape_keeps_only_what_the_backward_reads(bool hard, bool keepReset, int tensors)
    {
        const int T = 4, N = 10;
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, Rand.Uniform(T * N, 41, 0, 2), T, N).RequireGrad();
        using var tape = new Tape();
        using (tape.Record()) Ops.LifSequence(current, Spec(0.5, hard, !keepReset, "sigmoid"));
        Assert.Equal(tensors * T * N * sizeof(float), tape.SavedBytes);
    }

    [Theory]
    [InlineData(false, 0.381444)]
    [InlineData(true, 0.413842)]
    public void Spec_test_vector_1_bptt(bool detach, double expectedDw)
    {
        // one neuron, I[t] = w·x[t], o[t] = s[t], y = 0.5, L = (1/3)·Σ ½(o − y)²  (estimators.md §12 test 1)
        double[] x = [1.5, 0.4, 1.0];
        const double w = 0.8;
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, x.Select(v => (float)(w * v)).ToArray(), 3, 1).RequireGrad();
        using var tape = new Tape();
        Tensor spikes;
        using (tape.Record()) spikes = Ops.LifSequence(current, NeuronSpec.Lif(0.5f, detachReset: detach));
        var s = spikes.ToArray();
        Assert.Equal([1f, 0f, 1f], s);
        using var seed = Tensor.FromArray(D, s.Select(v => (v - 0.5f) / 3f).ToArray(), 3, 1);
        tape.Backward(spikes, seed);
        var gi = current.Grad!.ToArray();
        double dw = x.Select((v, t) => v * gi[t]).Sum();
        Close.Value(expectedDw, dw, 3e-6, "dL/dw");
    }

    [Fact]
    public void No_gradient_reaches_the_state_and_no_node_without_grad()
    {
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, Rand.Uniform(12, 51, 0, 2), 3, 4);
        var state = Tensor.Zeros(D, 4).RequireGrad();
        using var tape = new Tape();
        using (tape.Record()) Ops.LifSequence(current, new NeuronSpec(), state);
        Assert.Equal(0, tape.NodeCount);
    }

    [Fact]
    public void Shape_errors_name_the_operation_and_the_shapes()
    {
        using var scope = TensorScope.Begin();
        var current = Tensor.Zeros(D, 4, 2, 3);
        var e = Assert.Throws<ArgumentException>(() => Ops.LifSequence(current, new NeuronSpec(), Tensor.Zeros(D, 3, 2)));
        Assert.Contains("LifSequence", e.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 2]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[4, 2, 3]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", e.Message, StringComparison.Ordinal);
        var scalar = Tensor.Zeros(D);
        Assert.Contains("LifSequence", Assert.Throws<ArgumentException>(() => Ops.LifSequence(scalar, new NeuronSpec())).Message, StringComparison.Ordinal);
        Assert.Contains("LifRateStatistics", Assert.Throws<ArgumentException>(() => Ops.LifRateStatistics(scalar, new NeuronSpec(), out _, out _)).Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<ArgumentException>(() => Ops.LifStep(Tensor.Zeros(D, 2, 3), Tensor.Zeros(D, 3, 2), new NeuronSpec(), out _));
        Assert.Contains("LifStep", e2.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", e2.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 2]", e2.Message, StringComparison.Ordinal);
        Assert.Contains("SafStep", Assert.Throws<ArgumentException>(() => Ops.SafStep(Tensor.Zeros(D, 2), Tensor.Zeros(D, 3), new NeuronSpec())).Message, StringComparison.Ordinal);
        Assert.Contains("RateNeuron", Assert.Throws<ArgumentException>(() => Ops.RateNeuron(Tensor.Zeros(D, 2), Tensor.Zeros(D, 2), Tensor.Zeros(D, 3))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_sequences_are_allowed()
    {
        using var scope = TensorScope.Begin();
        var state = Tensor.Full(D, 0.25f, 3);
        var spikes = Ops.LifSequence(Tensor.Zeros(D, 0, 3), new NeuronSpec(), state);
        Assert.Equal([0, 3], spikes.Shape);
        Assert.Equal([0.25f, 0.25f, 0.25f], state.ToArray());
    }
}
