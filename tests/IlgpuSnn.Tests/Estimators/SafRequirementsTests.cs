using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>SAF refuses, with one clear message, what it cannot train exactly: BatchNorm with a time-varying input, and neuron layers with different λ.</summary>
public sealed class SafRequirementsTests(TestDevice fixture)
{
    private void Run(string estimator, bool batchNorm, bool varying, float secondDecay)
    {
        using var device = fixture.CreateFresh();
        using var network = SpikingNetwork.Build(device, [3], b =>
        {
            b.Linear(4);
            if (batchNorm) b.BatchNorm();
            b.Lif(new NeuronSpec(Decay: 0.5f)).Linear(4).Lif(new NeuronSpec(Decay: secondDecay)).Linear(2);
        }, seed: 5);
        using var method = EstimatorFactory.Create(estimator);
        method.Attach(network);
        using var scope = TensorScope.Begin();
        var frame = Rand.Uniform(2 * 3, 3, 0f, 1f);
        var data = Enumerable.Range(0, 3).SelectMany(t => varying ? frame.Select(v => v * (t + 1)) : frame).ToArray();
        var input = Tensor.FromArray(device, data, 3, 2, 3);
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
}
