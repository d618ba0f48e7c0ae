using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>SAF refuses, with one clear message, what it cannot train exactly: BatchNorm with a time-varying input, neuron layers with different λ, max pooling.</summary>
public sealed class SafRequirementsTests(TestDevice fixture)
{
    private void Run(string estimator, bool batchNorm, bool varying, float secondDecay, bool maxPool = false)
    {
        using var device = fixture.CreateFresh();
        using var network = SpikingNetwork.Build(device, maxPool ? [1, 2, 2] : [3], b =>
        {
            if (maxPool) b.MaxPool2d(2).Flatten();
            b.Linear(4);
            if (batchNorm) b.BatchNorm();
            b.Lif(new NeuronSpec(Decay: 0.5f)).Linear(4).Lif(new NeuronSpec(Decay: secondDecay)).Linear(2);
        }, seed: 5);
        using var method = EstimatorFactory.Create(estimator);
        method.Attach(network);
        using var scope = TensorScope.Begin();
        int features = maxPool ? 4 : 3;
        var frame = Rand.Uniform(2 * features, 3, 0f, 1f);
        var data = Enumerable.Range(0, 3).SelectMany(t => varying ? frame.Select(v => v * (t + 1)) : frame).ToArray();
        var input = maxPool ? Tensor.FromArray(device, data, 3, 2, 1, 2, 2) : Tensor.FromArray(device, data, 3, 2, 3);
        var labels = Tensor.FromArray(device, [0f, 1f], 2);
        method.Run(network, input, new SequenceLoss(Criterion.CrossEntropy, LossReduction.PerStep, labels), new EstimatorContext { Update = () => { } });
    }

    [Theory]
    [InlineData("saf-e")]
    [InlineData("saf-f")]
    public void Batchnorm_with_time_varying_input_is_refused(string estimator)
    {
        var e = Assert.Throws<NotSupportedException>(() => Run(estimator, batchNorm: true, varying: true, secondDecay: 0.5f));
        Assert.Contains("changes over time", e.Message, StringComparison.Ordinal);
        Run(estimator, batchNorm: true, varying: false, secondDecay: 0.5f);
        Run(estimator, batchNorm: false, varying: true, secondDecay: 0.5f);
    }

    [Theory]
    [InlineData("saf-e")]
    [InlineData("saf-f")]
    public void Different_decays_are_refused(string estimator)
    {
        var e = Assert.Throws<NotSupportedException>(() => Run(estimator, batchNorm: false, varying: false, secondDecay: 0.8f));
        Assert.Contains("different decays", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("saf-e")]
    [InlineData("saf-f")]
    public void Max_pooling_is_refused_and_ottt_trains_the_same_network(string estimator)
    {
        var e = Assert.Throws<NotSupportedException>(() => Run(estimator, batchNorm: false, varying: false, secondDecay: 0.5f, maxPool: true));
        Assert.Contains("max pooling, which is not linear", e.Message, StringComparison.Ordinal);
        Run("ottt-o", batchNorm: false, varying: false, secondDecay: 0.5f, maxPool: true);
    }
}
