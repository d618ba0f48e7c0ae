using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// ALIF (a[t] = ρ·a[t−1] + s[t−1], θ[t] = θ0 + β·a[t], u[t] = λ·v[t−1] + I[t], s[t] = H(u[t] − θ[t]),
/// v[t] = u[t] − θ[t]·s[t] or u[t]·(1 − s[t])) against a double-precision loop written from these equations, whose
/// gradient is computed in forward mode (tangents of v and a pushed forward from each input step, the spike's tangent
/// σ'(z)·dz), an independent route from the kernels' reverse sweep; the struct's partial derivatives against finite
/// differences of its own functions; unrolled steps against the fused sequence.
/// </summary>
public sealed class AlifTests(TestDevice fixture)
{
    private const double Lambda = 0.7, Theta0 = 1, Rho = 0.8, Beta = 0.3, Alpha = 4;

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

    private static NeuronSpec Spec(bool hard, bool detach) =>
        NeuronSpec.Alif((float)Lambda, (float)Theta0, (float)Rho, (float)Beta, hard ? ResetMode.Hard : ResetMode.Soft, detach, Surrogate.Sigmoid());

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-Alpha * z));

    private static double SurrogateDerivative(double z) => Alpha * Sigmoid(z) * (1 - Sigmoid(z));

    /// <summary>
    /// Spikes [T, N], the final (v, a) [2N], the smallest |z| seen, and, when <paramref name="seed"/> is given, dL/dI
    /// [T, N] and dL/d(v[0], a[0]) [2N] for L = Σ seed·s with the surrogate: one tangent pass per input step t0 and
    /// one per initial variable (neurons are independent).
    /// </summary>
    private static (double[] S, double[] Final, double Margin, double[]? Grad, double[]? StateGrad) Reference(float[] current, int steps,
        bool hard, bool detach, float[]? state, float[]? seed)
    {
        int n = current.Length / steps;
        var spikes = new double[current.Length];
        var final = new double[2 * n];
        var grad = seed is null ? null : new double[current.Length];
        var stateGrad = seed is null ? null : new double[2 * n];
        double margin = double.MaxValue;
        for (int i = 0; i < n; i++)
        {
            for (int t0 = -1; t0 < (seed is null ? 0 : steps + 2); t0++)
            {
                double v = state?[i] ?? 0, a = state?[n + i] ?? 0, dl = 0;
                double dv = t0 == steps ? 1 : 0, da = t0 == steps + 1 ? 1 : 0;
                for (int t = 0; t < steps; t++)
                {
                    int k = t * n + i;
                    double theta = Theta0 + Beta * a, dTheta = Beta * da;
                    double u = Lambda * v + current[k], du = Lambda * dv + (t == t0 ? 1 : 0);
                    double z = u - theta, dz = du - dTheta;
                    double s = z >= 0 ? 1 : 0, ds = SurrogateDerivative(z) * dz;
                    double dsReset = detach ? 0 : ds;
                    double vNext = hard ? u * (1 - s) : u - theta * s;
                    double dvNext = hard ? du * (1 - s) - u * dsReset : du - dTheta * s - theta * dsReset;
                    double aNext = Rho * a + s, daNext = Rho * da + ds;
                    if (t0 < 0)
                    {
                        spikes[k] = s;
                        margin = Math.Min(margin, Math.Abs(z));
                    }
                    dl += (seed?[k] ?? 0) * ds;
                    (v, dv, a, da) = (vNext, dvNext, aNext, daNext);
                }
                if (t0 < 0)
                {
                    final[i] = v;
                    final[n + i] = a;
                }
                else if (t0 < steps) grad![t0 * n + i] = dl;
                else stateGrad![(t0 - steps) * n + i] = dl;
            }
        }
        return (spikes, final, margin, grad, stateGrad);
    }

    /// <summary>Random currents whose forward keeps every z at least 1e-3 from the threshold (float and double agree on every spike).</summary>
    private static float[] SafeCurrents(int steps, int n, int seed, bool hard, float[]? state)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            var c = Rand.Uniform(steps * n, seed + 7919 * attempt, -0.3f, 1.4f);
            if (Reference(c, steps, hard, false, state, null).Margin >= 1e-3) return c;
        }
        throw new InvalidOperationException("no random input kept its distance from the threshold");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_sequence_matches_the_reference_forward_and_its_forward_mode_gradient(bool hard, bool detach, bool withState)
    {
        const int T = 7, N = 20;
        var state0 = withState ? [.. Rand.Uniform(N, 91, -0.3f, 0.8f), .. Rand.Uniform(N, 92, 0f, 1.5f)] : (float[]?)null;
        var c = SafeCurrents(T, N, 93, hard, state0);
        var r = Rand.Uniform(T * N, 94);
        var reference = Reference(c, T, hard, detach, state0, r);
        Assert.Contains(1.0, reference.S);

        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, c, T, N).RequireGrad();
        using var state = state0 is null ? null : Tensor.FromArray(D, state0, 2, N);
        using var tape = new Tape();
        Tensor spikes;
        using (tape.Record()) spikes = Ops.NeuronSequence(current, Spec(hard, detach), null, state);
        Assert.Equal(reference.S.Select(x => (float)x).ToArray(), spikes.ToArray());
        if (state is not null) Close.Within(reference.Final, state.ToArray(), 1e-5, 1e-5, "(v, a) after T steps");
        using var seed = Tensor.FromArray(D, r, T, N);
        tape.Backward(spikes, seed);
        Close.Within(reference.Grad!, current.Grad!.ToArray(), 1e-5, 1e-4, "dL/dI");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unrolled_steps_equal_the_fused_sequence_including_the_gradient_into_the_initial_state(bool hard, bool detach, bool withState)
    {
        const int T = 5, N = 12;
        var state0 = withState ? [.. Rand.Uniform(N, 101, -0.3f, 0.8f), .. Rand.Uniform(N, 102, 0f, 1.5f)] : (float[]?)null;
        var c = SafeCurrents(T, N, 103, hard, state0);
        var r = Rand.Uniform(T * N, 104);
        var spec = Spec(hard, detach);

        using var scope = TensorScope.Begin();
        var fusedIn = Tensor.FromArray(D, c, T, N).RequireGrad();
        using var fusedState = state0 is null ? null : Tensor.FromArray(D, state0, 2, N);
        float[] fusedSpikes, fusedGrad;
        using (var tape = new Tape())
        {
            Tensor s;
            using (tape.Record()) s = Ops.NeuronSequence(fusedIn, spec, null, fusedState);
            fusedSpikes = s.ToArray();
            using var seed = Tensor.FromArray(D, r, T, N);
            tape.Backward(s, seed);
            fusedGrad = fusedIn.Grad!.ToArray();
        }

        var steps = Enumerable.Range(0, T).Select(t => Tensor.FromArray(D, c.AsSpan(t * N, N).ToArray(), N).RequireGrad()).ToArray();
        var start = state0 is null ? null : Tensor.FromArray(D, state0, 2, N).RequireGrad();
        var stepSpikes = new List<float>();
        using (var tape = new Tape())
        {
            var outputs = new Tensor[T];
            Tensor? v = start;
            using (tape.Record())
                for (int t = 0; t < T; t++) outputs[t] = Ops.NeuronStep(steps[t], v, spec, null, out v);
            foreach (var o in outputs) stepSpikes.AddRange(o.ToArray());
            tape.Backward(outputs, [.. Enumerable.Range(0, T).Select(t => Tensor.FromArray(D, r.AsSpan(t * N, N).ToArray(), N))]);
            if (fusedState is not null) Assert.Equal(fusedState.ToArray(), v!.ToArray());
        }
        Assert.Equal(fusedSpikes, stepSpikes.ToArray());
        Close.Within(fusedGrad.Select(x => (double)x).ToArray(), steps.SelectMany(s => s.Grad!.ToArray()).ToArray(), 1e-6, 1e-5, "dL/dI");
        if (start is not null)
            Close.Within(Reference(c, T, hard, detach, state0, r).StateGrad!, start.Grad!.ToArray(), 1e-5, 1e-4, "dL/d(v[0], a[0])");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Partial_derivatives_match_finite_differences_of_the_dynamics(bool hard, bool detach)
    {
        var neuron = new AlifNeuron((float)Lambda, (float)Theta0, (float)Rho, (float)Beta, hard, detach);
        const float h = 1e-2f;
        foreach (var (v, a, u) in new[] { (0.3f, 0.4f, 1.7f), (-0.2f, 1.1f, 0.6f), (0.9f, 0f, -0.4f) })
            foreach (var s in new[] { 0f, 1f })
            {
                static float Fd(Func<float, float> f, float x) => (f(x + h) - f(x - h)) / (2 * h);
                const float tol = 1e-3f;
                Assert.Equal(Fd(x => neuron.Charge(x, a, 0.5f), v), neuron.ChargeStateDerivative(v, a), tol);
                Assert.Equal(Fd(x => neuron.Charge(v, a, x), 0.5f), neuron.ChargeCurrentDerivative(v, a), tol);
                Assert.Equal(Fd(x => neuron.Charge(v, x, 0.5f), a), neuron.ChargeAuxiliaryDerivative(v, a), tol);
                Assert.Equal(1f, Fd(x => neuron.Overshoot(x, a), u), tol);
                Assert.Equal(Fd(x => neuron.Overshoot(u, x), a), neuron.OvershootAuxiliaryDerivative(a), tol);
                Assert.Equal(Fd(x => neuron.Reset(x, s, a), u), neuron.ResetPotentialDerivative(u, s, a), tol);
                Assert.Equal(Fd(x => neuron.Reset(u, s, x), a), neuron.ResetAuxiliaryDerivative(u, s, a), tol);
                Assert.Equal(detach ? 0f : Fd(x => neuron.Reset(u, x, a), s), neuron.ResetSpikeDerivative(u, s, a), tol);
                Assert.Equal(Fd(x => neuron.Adapt(x, u, s), a), neuron.AdaptAuxiliaryDerivative(a, u, s), tol);
                Assert.Equal(Fd(x => neuron.Adapt(a, x, s), u), neuron.AdaptPotentialDerivative(a, u, s), tol);
                Assert.Equal(Fd(x => neuron.Adapt(a, u, x), s), neuron.AdaptSpikeDerivative(a, u, s), tol);
            }
    }

    [Fact]
    public void Adaptation_raises_the_threshold_after_each_spike_and_decays_with_rho()
    {
        // A constant current of 1.05 fires at t = 0 (u = 1.05 ≥ 1); then θ[1] = 1 + β·1 = 1.3 and with soft reset
        // v[0] = 0.05, u[1] = 0.7·0.05 + 1.05 = 1.085 < 1.3: silent, where a plain LIF (β = 0) fires again.
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, [1.05f, 1.05f, 1.05f], 3, 1);
        var alif = Ops.NeuronSequence(current, Spec(false, false)).ToArray();
        var lif = Ops.NeuronSequence(current, NeuronSpec.Alif((float)Lambda, 1f, (float)Rho, 0f)).ToArray();
        Assert.Equal([1f, 0f, 1f], alif);
        Assert.Equal([1f, 1f, 1f], lif);
        using var state = Tensor.Zeros(D, 2, 1);
        Ops.NeuronSequence(current, Spec(false, false), null, state);
        var (_, final, _, _, _) = Reference([1.05f, 1.05f, 1.05f], 3, false, false, null, null);
        Close.Within(final, state.ToArray(), 1e-6, 1e-6, "(v, a)");
        Assert.Equal((float)(Rho * Rho + 1), state.ToArray()[1], 5);
    }

    [Fact]
    public void Layer_state_has_two_planes_and_wrong_shapes_are_refused_with_one_line()
    {
        using var scope = TensorScope.Begin();
        using var network = SpikingNetwork.Build(D, [4], b => b.Linear(3).Alif().Linear(2));
        var layer = network.Layers.OfType<NeuronLayer>().Single();
        Assert.Equal(2, layer.Spec.Model.StateVariables);
        Assert.Null(layer.Parameter);
        var e = Assert.Throws<ArgumentException>(() => Ops.NeuronStep(Tensor.Zeros(D, 2, 3), Tensor.Zeros(D, 2, 3), layer.Spec, null, out _));
        Assert.Contains("[2, 2, 3]", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("alif", NeuronSpec.Named("ALIF").Model.Name);
        Assert.Equal(NeuronSpec.Alif(), NeuronSpec.Named("alif"));
        Assert.Throws<ArgumentException>(() => NeuronSpec.Alif(adaptationDecay: 1.5f));
        Assert.Throws<ArgumentException>(() => NeuronSpec.Alif(adaptationStrength: -1f));
    }
}
