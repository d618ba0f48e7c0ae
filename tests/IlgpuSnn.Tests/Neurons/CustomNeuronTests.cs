using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>A neuron the library does not know, nonlinear in v: u = λ·v + γ·v² + I, soft reset by Vth (test only).</summary>
public readonly struct QuadraticLeakNeuron(float decay, float gamma, float threshold) : INeuronDynamics
{
    public void BindParameter(float parameter)
    {
    }

    public float Charge(float v, float current) => decay * v + gamma * v * v + current;
    public float ChargeStateDerivative(float v) => decay + 2f * gamma * v;
    public float ChargeCurrentDerivative(float v) => 1f;
    public float ChargeParameterDerivative(float v) => 0f;
    public float Overshoot(float u) => u - threshold;
    public float Reset(float u, float spike) => u - threshold * spike;
    public float ResetDerivative(float u, float spike, float surrogate) => 1f - threshold * surrogate;
    public NeuronBackwardNeeds BackwardNeeds => NeuronBackwardNeeds.Potential;
}

/// <summary>Its model: λ from the spec's decay, γ fixed at 0.2.</summary>
public sealed class QuadraticLeakModel() : NeuronModel<QuadraticLeakNeuron>("quadratic-leak")
{
    public const float Gamma = 0.2f;

    public static readonly QuadraticLeakModel Instance = new();

    public override QuadraticLeakNeuron Create(NeuronSpec spec, float parameter) => new(spec.Decay, Gamma, spec.Threshold);
}

/// <summary>A surrogate the library does not know: σ'(z) = α/(2(1 + α|z|)²) (snnTorch's fast sigmoid, halved to integrate to 1).</summary>
public readonly struct FastSigmoidSurrogate(float alpha) : ISurrogateGradient
{
    public static readonly SurrogateFamily<FastSigmoidSurrogate> Family = new("fast-sigmoid-test", 3f, a => new FastSigmoidSurrogate(a));

    public float Derivative(float z)
    {
        float d = 1f + alpha * (z < 0f ? -z : z);
        return alpha / (2f * d * d);
    }

    public float Primitive(float z) => 0.5f + 0.5f * alpha * z / (1f + alpha * MathF.Abs(z));
}

/// <summary>
/// The open contract: a neuron and a surrogate defined outside the library run in the fused kernels and match a
/// double-precision reference written from their equations; every built-in struct's derivatives match finite
/// differences of its own charge and reset.
/// </summary>
public sealed class CustomNeuronTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    [Fact]
    public void A_user_defined_neuron_runs_fused_and_step_by_step_and_matches_the_reference()
    {
        const int T = 6, N = 20;
        const double decay = 0.6, gamma = QuadraticLeakModel.Gamma, vth = 1;
        var spec = new NeuronSpec(0.6f, 1f) { Model = QuadraticLeakModel.Instance };
        float[] c = [];
        double[] u = [], s = [], v = [], sg = [];
        for (int attempt = 0; ; attempt++)
        {
            c = Rand.Uniform(T * N, 91 + attempt, -0.3f, 1.1f);
            (u, s, v, sg, double margin) = Reference(c);
            if (margin > 1e-3) break;
        }
        var r = Rand.Uniform(T * N, 92);
        var gi = new double[T * N];
        for (int i = 0; i < N; i++)
        {
            double gv = 0;
            for (int t = T - 1; t >= 0; t--)
            {
                int k = t * N + i;
                double gu = r[k] * sg[k] + gv * (1 - vth * sg[k]);
                gi[k] = gu;
                double vPrev = t == 0 ? 0 : v[k - N];
                gv = gu * (decay + 2 * gamma * vPrev);
            }
        }

        using var scope = TensorScope.Begin();
        using var seed = Tensor.FromArray(D, r, T, N);
        var fusedIn = Tensor.FromArray(D, c, T, N).RequireGrad();
        using (var tape = new Tape())
        {
            Tensor spikes;
            using (tape.Record()) spikes = Ops.NeuronSequence(fusedIn, spec);
            Assert.Equal(s.Select(x => (float)x).ToArray(), spikes.ToArray());
            tape.Backward(spikes, seed);
        }
        Close.Within(gi, fusedIn.Grad!.ToArray(), 1e-5, 1e-4, "fused dL/dI");

        var stepIn = Tensor.FromArray(D, c, T, N).RequireGrad();
        using (var tape = new Tape())
        {
            var roots = new List<Tensor>();
            var seeds = new List<Tensor?>();
            using (tape.Record())
            {
                Tensor? vt = null;
                for (int t = 0; t < T; t++)
                {
                    roots.Add(Ops.NeuronStep(stepIn.Slice(t, 1).Reshape(N), vt, spec, null, out var next));
                    vt = next;
                    seeds.Add(seed.Slice(t, 1).Reshape(N));
                }
            }
            for (int t = 0; t < T; t++)
                Assert.Equal(s.Skip(t * N).Take(N).Select(x => (float)x).ToArray(), roots[t].ToArray());
            tape.Backward(roots, seeds);
        }
        Close.Within(gi, stepIn.Grad!.ToArray(), 1e-5, 1e-4, "step dL/dI");

        (double[] U, double[] S, double[] V, double[] Sg, double Margin) Reference(float[] current)
        {
            var uu = new double[T * N];
            var ss = new double[T * N];
            var vv = new double[T * N];
            var gg = new double[T * N];
            double margin = double.MaxValue;
            for (int i = 0; i < N; i++)
            {
                double prev = 0;
                for (int t = 0; t < T; t++)
                {
                    int k = t * N + i;
                    uu[k] = decay * prev + gamma * prev * prev + current[k];
                    double z = uu[k] - vth;
                    ss[k] = z >= 0 ? 1 : 0;
                    gg[k] = LifReference.Sg("sigmoid", 4, z);
                    vv[k] = uu[k] - vth * ss[k];
                    margin = Math.Min(margin, Math.Abs(z));
                    prev = vv[k];
                }
            }
            return (uu, ss, vv, gg, margin);
        }
    }

    [Fact]
    public void A_user_defined_surrogate_is_chosen_by_name_and_used_by_the_kernels()
    {
        Surrogate.Register(FastSigmoidSurrogate.Family);
        Surrogate.Register(FastSigmoidSurrogate.Family); // the same family again is a no-op
        Assert.Contains("fast-sigmoid-test", Surrogate.Names);
        var surrogate = Surrogate.Parse("Fast-Sigmoid-Test:2.5");
        Assert.Equal(SurrogateKind.Custom, surrogate.Kind);
        Assert.Equal(2.5f, surrogate.Alpha);
        Assert.Equal(3f, Surrogate.Parse("fast-sigmoid-test").Alpha);
        Assert.Throws<ArgumentException>(() => Surrogate.Register(new SurrogateFamily<FastSigmoidSurrogate>("sigmoid", 1f, a => new(a))));

        const int N = 40;
        var c = Rand.Uniform(N, 93, 0f, 2f);
        var r = Rand.Uniform(N, 94);
        using var scope = TensorScope.Begin();
        var current = Tensor.FromArray(D, c, 1, N).RequireGrad();
        using var tape = new Tape();
        Tensor spikes;
        using (tape.Record()) spikes = Ops.NeuronSequence(current, NeuronSpec.Lif(surrogate: surrogate));
        using var seed = Tensor.FromArray(D, r, 1, N);
        tape.Backward(spikes, seed);
        var expected = c.Select((x, i) =>
        {
            double d = 1 + 2.5 * Math.Abs(x - 1.0);
            return r[i] * 2.5 / (2 * d * d);
        }).ToArray();
        Close.Within(expected, current.Grad!.ToArray(), 1e-6, 1e-5, "dL/dI");
    }

    [Fact]
    public void Surrogate_names_parse_with_an_optional_alpha_and_errors_list_the_valid_names()
    {
        Assert.Equal(Surrogate.Sigmoid(4f), Surrogate.Parse("sigmoid"));
        Assert.Equal(Surrogate.Sigmoid(5f), Surrogate.Parse("sigmoid:5"));
        Assert.Equal(Surrogate.ATan(0.5f), Surrogate.Parse(" ATAN : 0.5 "));
        var e = Assert.Throws<ArgumentException>(() => Surrogate.Parse("erf"));
        Assert.Contains("sigmoid, triangle, rectangle, atan", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Surrogate.Parse("sigmoid:-1"));
        Assert.Throws<ArgumentException>(() => Surrogate.Parse("sigmoid:x"));
        Assert.Throws<ArgumentException>(() => Surrogate.Parse("sigmoid:2", 3f));
        Assert.Throws<ArgumentException>(() => new Surrogate(SurrogateKind.Custom, 1f));
    }

    public static TheoryData<string> BuiltInNeurons() => new() { "lif-soft", "lif-hard", "if", "plif" };

    [Theory]
    [MemberData(nameof(BuiltInNeurons))]
    public void Built_in_charge_derivatives_match_finite_differences(string name)
    {
        const double eps = 1e-2;
        const float w = 0.3f;
        INeuronDynamics Make(float theta) => name switch
        {
            "lif-soft" => new LifNeuron(0.7f, 1f, false, false),
            "lif-hard" => new LifNeuron(0.7f, 1f, true, false),
            "if" => new LifNeuron(1f, 1f, false, false),
            _ => new PlifNeuron(theta, 1f, false, false),
        };
        var neuron = Make(w);
        var rng = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            float v = (float)(rng.NextDouble() * 2 - 1), i = (float)(rng.NextDouble() * 2 - 1);
            double dv = (neuron.Charge(v + (float)eps, i) - neuron.Charge(v - (float)eps, i)) / (2 * eps);
            double di = (neuron.Charge(v, i + (float)eps) - neuron.Charge(v, i - (float)eps)) / (2 * eps);
            double dw = name == "plif" ? (Make(w + (float)eps).Charge(v, i) - Make(w - (float)eps).Charge(v, i)) / (2 * eps) : 0;
            Close.Value(dv, neuron.ChargeStateDerivative(v), 1e-3, $"{name} du/dv");
            Close.Value(di, neuron.ChargeCurrentDerivative(v), 1e-3, $"{name} du/dI");
            Close.Value(dw, neuron.ChargeParameterDerivative(v), 1e-3, $"{name} du/dw");
        }
    }

    [Fact]
    public void Soft_reset_derivative_is_the_derivative_of_the_reset_through_the_surrogate_primitive()
    {
        // v(u) = u − Vth·P(u − Vth) has dv/du = 1 − Vth·σ'(u − Vth): the kept soft reset's Jacobian.
        const double eps = 1e-3;
        var neuron = new LifNeuron(0.5f, 0.8f, false, false);
        var sg = Surrogate.Sigmoid(4f);
        foreach (var u in new[] { -0.5f, 0.3f, 0.75f, 0.9f, 1.6f })
        {
            double Smooth(double x) => x - 0.8 * sg.Primitive((float)(x - 0.8));
            double fd = (Smooth(u + eps) - Smooth(u - eps)) / (2 * eps);
            Close.Value(fd, neuron.ResetDerivative(u, 0f, sg.Derivative(u - 0.8f)), 2e-3, $"dv/du at {u}");
        }
    }
}

/// <summary>The cross-backend compile tests reach every built-in neuron and surrogate through the registry.</summary>
public sealed class NeuronKernelRegistryTests
{
    [Fact]
    public void Registry_instantiates_the_generic_kernels_for_every_built_in_struct()
    {
        var sequence = KernelRegistry.All.Where(m => m.Name.StartsWith("SequenceKernel", StringComparison.Ordinal)).ToList();
        var neurons = sequence.Select(m => m.GetGenericArguments()[0]).Distinct().ToList();
        var surrogates = sequence.Select(m => m.GetGenericArguments()[1]).Distinct().ToList();
        Assert.Equal(new[] { typeof(AlifNeuron), typeof(LifNeuron), typeof(PlifNeuron) }.OrderBy(t => t.Name), neurons.OrderBy(t => t.Name));
        Assert.Equal(
            new[] { typeof(ATanSurrogate), typeof(RectangleSurrogate), typeof(SigmoidSurrogate), typeof(TriangleSurrogate) },
            surrogates.OrderBy(t => t.Name));
        Assert.All(KernelRegistry.All, m => Assert.False(m.ContainsGenericParameters, $"{m.Name} is not closed"));
    }
}
