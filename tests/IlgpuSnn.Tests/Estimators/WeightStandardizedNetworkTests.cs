using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// The official OTTT networks are buildable: weight-standardised convolutions with gains and Scale(2.74) after the
/// spikes (the "vgg11-ws" model). Through OTTT's adapters the gains learn like any parameter: with λ = 0 OTTT equals
/// BPTT for any T (spec §6.4, identity 3), which pins every gradient of a weight-standardised network, gains included.
/// </summary>
public sealed class WeightStandardizedNetworkTests(TestDevice fixture)
{
    private static SpikingNetwork Small(Device device, NeuronSpec neuron) => SpikingNetwork.Build(device, [2, 6, 6], b => b
        .Conv2d(4, 3, padding: 1, weightStandardization: true).Lif(neuron).Scale(Scale.SpikeGain).AvgPool2d(2)
        .Conv2d(6, 3, padding: 1, weightStandardization: true).Lif(neuron).Scale(Scale.SpikeGain)
        .GlobalAvgPool().Linear(3), seed: 4);

    private static float[][] Gradients(Device device, string method, NeuronSpec neuron, int steps)
    {
        using var network = Small(device, neuron);
        using var estimator = EstimatorFactory.Create(method);
        estimator.Attach(network);
        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(device, Rand.Uniform(steps * 3 * 2 * 36, 9, 0f, 1.5f), steps, 3, 2, 6, 6);
        var labels = Tensor.FromArray(device, [0f, 2f, 1f], 3);
        var grads = new List<float[]>();
        estimator.Run(network, input, new SequenceLoss(Criterion.CrossEntropy, LossReduction.PerStep, labels), new EstimatorContext
        {
            Update = () => grads.AddRange(network.Parameters.Select(p => p.Grad?.ToArray() ?? new float[p.Length])),
        });
        return [.. grads];
    }

    [Fact]
    public void Ottt_equals_bptt_with_no_leak_through_standardised_weights_and_gains()
    {
        var neuron = new NeuronSpec(Decay: 0f);
        var ottt = Gradients(fixture.Device, "ottt-a", neuron, 3);
        var bptt = Gradients(fixture.Device, "bptt", neuron, 3);
        Assert.Equal(bptt.Length, ottt.Length);
        for (int i = 0; i < bptt.Length; i++) Close.Within(bptt[i].Select(v => (double)v), ottt[i], 1e-5, 1e-4, $"parameter {i}");
        using var network = Small(fixture.Device, neuron);
        var gains = network.Layers.OfType<Conv2d>().Select(c => network.Parameters.ToList().IndexOf(c.Gain!)).ToArray();
        Assert.All(gains, g => Assert.Contains(ottt[g], v => v != 0f));
    }

    [Fact]
    public void Vgg11_ws_is_the_official_ottt_network_and_trains_with_ottt()
    {
        using var network = Models.Create("vgg11-ws", fixture.Device, [1, 8, 8], 10, new NeuronSpec(Decay: 0.5f), seed: 1);
        var convs = network.Layers.OfType<Conv2d>().ToArray();
        Assert.Equal([64, 128, 256, 256, 512, 512, 512, 512], convs.Select(c => c.OutChannels));
        Assert.All(convs, c => Assert.NotNull(c.Gain));
        Assert.All(convs, c => Assert.NotNull(c.Bias));
        Assert.Equal(8, network.Layers.OfType<Scale>().Count(s => s.Factor == 2.74f));
        Assert.Equal(3, network.Layers.OfType<AvgPool2d>().Count());
        Assert.Empty(network.Layers.OfType<BatchNorm>());
        Assert.IsType<GlobalAvgPool>(network.Layers[^2]);
        Assert.Equal(512, ((Linear)network.Layers[^1]).InFeatures);

        using var method = EstimatorFactory.Create("ottt-o");
        method.Attach(network);
        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(fixture.Device, Rand.Uniform(2 * 2 * 64, 3, 0f, 1f), 2, 2, 1, 8, 8);
        var labels = Tensor.FromArray(fixture.Device, [3f, 7f], 2);
        int updates = 0;
        var result = method.Run(network, input, new SequenceLoss(Criterion.CrossEntropyWithSquaredError, LossReduction.PerStep, labels, 0.05f),
            new EstimatorContext
            {
                Update = () =>
                {
                    updates++;
                    Assert.All(network.Parameters, p => Assert.All(p.Grad?.ToArray() ?? [], v => Assert.True(float.IsFinite(v))));
                },
            });
        Assert.Equal(2, updates);
        Assert.True(float.IsFinite(result.Loss));
    }
}
