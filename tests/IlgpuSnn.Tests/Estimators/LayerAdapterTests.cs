using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// Layers know no estimator: a layer kind a method has no form for is refused by that method with a clear message
/// (never run through another method's path), while methods that run layers as they are train it.
/// </summary>
public sealed class LayerAdapterTests(TestDevice fixture)
{
    /// <summary>A user's layer of a kind no step-by-step method knows: y = 2x.</summary>
    private sealed class Doubling : Layer
    {
        public override int[] OutputShape(int[] inputShape) => inputShape;

        public override Tensor Forward(Tensor x, Pass pass) => Ops.Scale(x, 2f);
    }

    private static SpikingNetwork Network(Device device) =>
        SpikingNetwork.Build(device, [4], b => b.Linear(5).Add(_ => new Doubling()).Lif(new NeuronSpec()).Linear(3), seed: 1);

    private static EstimatorResult Run(Device device, SpikingNetwork network, IGradientEstimator method)
    {
        method.Attach(network);
        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(device, Rand.Uniform(3 * 2 * 4, 5, 0f, 1f), 3, 2, 4);
        var labels = Tensor.FromArray(device, [0f, 2f], 2);
        var result = method.Run(network, input, new SequenceLoss(Criterion.CrossEntropy, method.RequiredReduction ?? LossReduction.PerStep, labels),
            new EstimatorContext { Update = () => { } });
        // The result's device tensors close with the scope: read the host values while they live.
        _ = (result.Loss, result.OutputSum);
        return result;
    }

    [Theory]
    [InlineData("sltt")]
    [InlineData("ottt-a")]
    [InlineData("ottt-o")]
    [InlineData("saf-e")]
    [InlineData("saf-f")]
    [InlineData("ratebp")]
    public void A_layer_kind_the_method_has_no_form_for_is_refused_by_name(string name)
    {
        using var device = fixture.CreateFresh();
        using var network = Network(device);
        using var method = EstimatorFactory.Create(name);
        long live = device.Pool.LiveBytes;
        var e = Assert.Throws<NotSupportedException>(() => Run(device, network, method));
        Assert.Contains($"{name}: layer 'layers.1' (Doubling) has no {name} form", e.Message, StringComparison.Ordinal);
        Assert.Equal(live, device.Pool.LiveBytes);
    }

    [Theory]
    [InlineData("bptt")]
    [InlineData("tt-lbptt")]
    public void Methods_that_run_layers_as_they_are_train_any_layer(string name)
    {
        using var device = fixture.CreateFresh();
        using var network = Network(device);
        using var method = EstimatorFactory.Create(name, new EstimatorOptions { Window = 2 });
        var result = Run(device, network, method);
        Assert.True(float.IsFinite(result.Loss));
        Assert.Equal(2 * 3, result.OutputSum.Length);
    }
}
