using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// Every estimator with every built-in neuron: the methods whose identity holds run and agree where the spec says
/// they must (full-window TT-LBPTT = BPTT, one step: SLTT = BPTT), including PLIF's decay gradient; the others refuse
/// the neuron with a message naming both, never approximate.
/// </summary>
public sealed class NeuronEstimatorTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    private (float[] Weights, float Decay) Gradients(NeuronSpec spec, string estimator, int steps, EstimatorOptions? options = null)
    {
        const int B = 3, F = 6;
        using var network = SpikingNetwork.Build(D, [F], b => b.Linear(8).Neuron(spec).Linear(4), seed: 3);
        using var method = EstimatorFactory.Create(estimator, options);
        method.Attach(network);
        foreach (var p in network.Parameters) p.ClearGrad();
        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(D, Rand.Uniform(steps * B * F, 11, 0f, 1.5f), steps, B, F);
        var target = Tensor.FromArray(D, Rand.Uniform(B * 4, 12, 0f, 1f), B, 4);
        var reduction = estimator is "ratebp" or "saf-f" ? LossReduction.MeanOutput : LossReduction.PerStep;
        var loss = new SequenceLoss(Criterion.HalfSquaredError, reduction, target);
        var weights = new List<float>();
        float decay = 0;
        method.Run(network, input, loss, new EstimatorContext
        {
            Update = () =>
            {
                foreach (var l in network.Layers.OfType<Linear>()) weights.AddRange(l.Weight.Grad?.ToArray() ?? new float[l.Weight.Length]);
                decay += network.Layers.OfType<NeuronLayer>().Single().Parameter?.Grad?.Item() ?? 0f;
            },
        });
        return (weights.ToArray(), decay);
    }

    public static TheoryData<string> Neurons() => new() { "lif", "if", "plif", "alif" };

    [Theory]
    [MemberData(nameof(Neurons))]
    public void Full_window_truncation_equals_bptt_and_one_step_sltt_equals_bptt(string neuron)
    {
        var spec = NeuronSpec.Named(neuron);
        var bptt = Gradients(spec, "bptt", 4);
        var full = Gradients(spec, "tt-lbptt", 4, new EstimatorOptions { Window = 4 });
        Close.Within(bptt.Weights.Select(x => (double)x).ToArray(), full.Weights, 1e-6, 1e-5, "weights");
        Close.Value(bptt.Decay, full.Decay, 1e-6 + 1e-5 * Math.Abs(bptt.Decay), "decay");
        var bptt1 = Gradients(spec, "bptt", 1);
        var sltt1 = Gradients(spec, "sltt", 1);
        Close.Within(bptt1.Weights.Select(x => (double)x).ToArray(), sltt1.Weights, 1e-6, 1e-5, "weights, T = 1");
        Close.Value(bptt1.Decay, sltt1.Decay, 1e-6 + 1e-5 * Math.Abs(bptt1.Decay), "decay, T = 1");
        if (neuron == "plif") Assert.NotEqual(0f, bptt.Decay);
    }

    [Theory]
    [InlineData("plif", "sltt")]
    [InlineData("plif", "tt-lbptt")]
    [InlineData("plif", "sltt-k")]
    [InlineData("if", "sltt")]
    [InlineData("if", "ottt-a")]
    [InlineData("if", "ottt-o")]
    [InlineData("if", "saf-e")]
    [InlineData("if", "saf-f")]
    [InlineData("if", "ratebp")]
    [InlineData("lif-hard", "ottt-a")]
    [InlineData("lif-hard", "ratebp")]
    [InlineData("alif", "sltt")]
    [InlineData("alif", "sltt-k")]
    [InlineData("alif", "tt-lbptt")]
    [InlineData("alif-hard", "bptt")]
    public void Defined_combinations_give_finite_gradients(string neuron, string estimator)
    {
        var options = new EstimatorOptions { K = 2, Window = 2 };
        var spec = Spec(neuron);
        var (weights, decay) = Gradients(spec, estimator, 4, options);
        Assert.All(weights, w => Assert.True(float.IsFinite(w)));
        Assert.Contains(weights, w => w != 0f);
        Assert.True(float.IsFinite(decay));
        if (neuron == "plif") Assert.NotEqual(0f, decay);
    }

    [Theory]
    [InlineData("plif", "ottt-a", "OTTT")]
    [InlineData("plif", "ottt-o", "OTTT")]
    [InlineData("plif", "saf-e", "SAF")]
    [InlineData("plif", "saf-f", "SAF")]
    [InlineData("plif", "ratebp", "RateBP")]
    [InlineData("lif-hard", "saf-e", "SAF")]
    [InlineData("lif-hard", "saf-f", "SAF")]
    [InlineData("alif", "ottt-a", "OTTT")]
    [InlineData("alif", "ottt-o", "OTTT")]
    [InlineData("alif", "saf-e", "SAF")]
    [InlineData("alif", "saf-f", "SAF")]
    [InlineData("alif", "ratebp", "RateBP")]
    public void Undefined_combinations_are_refused_naming_neuron_and_estimator(string neuron, string estimator, string method)
    {
        var spec = Spec(neuron);
        var e = Assert.Throws<NotSupportedException>(() => Gradients(spec, estimator, 3));
        Assert.Contains($"'{spec.Model.Name}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(method, e.Message, StringComparison.Ordinal);
        Assert.Contains(estimator, e.Message, StringComparison.Ordinal);
    }

    private static NeuronSpec Spec(string neuron) => neuron switch
    {
        "lif-hard" => NeuronSpec.Lif(reset: ResetMode.Hard),
        "alif-hard" => NeuronSpec.Alif(reset: ResetMode.Hard),
        _ => NeuronSpec.Named(neuron),
    };

    [Fact]
    public void Plif_layer_owns_one_learnable_parameter_and_named_neurons_list_the_valid_names()
    {
        using var network = SpikingNetwork.Build(D, [4], b => b.Linear(3).Plif(0.8f).Linear(2));
        var layer = network.Layers.OfType<NeuronLayer>().Single();
        Assert.NotNull(layer.Parameter);
        Assert.Contains(layer.Parameter!, network.Parameters);
        Assert.Equal(MathF.Log(4f), layer.Parameter!.Item(), 5);
        var e = Assert.Throws<ArgumentException>(() => NeuronSpec.Named("izhikevich"));
        Assert.Contains("lif, if, plif", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new NeuronLayer(NeuronSpec.Plif()));
    }
}
