using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// SAF through a biased convolution, with and without batch-statistics BatchNorm: with a constant (direct-encoded) input the
/// accumulation at step t is N[t] = Σ_{k&lt;t} λ^k times one step's input, so working at per-step scale must give exactly
/// the LIF network's spikes (what BPTT's sequence pass computes) and BatchNorm statistics of per-step inputs.
/// </summary>
public sealed class SafBatchNormTests(TestDevice fixture)
{
    private const int Steps = 4;
    private const int Batch = 3;

    private sealed record Observed(float[] Spikes, float[] RunningMean);

    private Observed Run(string estimator, bool batchNorm = true)
    {
        using var device = fixture.CreateFresh();
        using var network = SpikingNetwork.Build(device, [2, 5, 5], b =>
        {
            b.Conv2d(4, 3, padding: 1, bias: true);
            if (batchNorm) b.BatchNorm();
            b.Lif(new NeuronSpec(Decay: 0.5f)).Flatten().Linear(3);
        }, seed: 11);
        using var method = EstimatorFactory.Create(estimator);
        method.Attach(network);
        using var scope = TensorScope.Begin();
        var frame = Rand.Uniform(Batch * 2 * 25, 7, 0f, 1f);
        var input = Tensor.FromArray(device, Enumerable.Range(0, Steps).SelectMany(_ => frame).ToArray(), Steps, Batch, 2, 5, 5);
        var labels = Tensor.FromArray(device, [0f, 2f, 1f], Batch);
        var spikes = new List<float>();
        method.Run(network, input, new SequenceLoss(Criterion.CrossEntropy, LossReduction.PerStep, labels), new EstimatorContext
        {
            Update = () => { },
            OnSpikes = (layer, first, s) => spikes.AddRange(s.ToArray()),
        });
        return new Observed([.. spikes], batchNorm ? ((BatchNorm)network.Layers[1]).RunningMean.ToArray() : []);
    }

    [Theory]
    [InlineData("saf-e", true)]
    [InlineData("saf-f", true)]
    [InlineData("saf-e", false)]
    public void Saf_spikes_equal_lif_spikes_through_a_biased_conv(string saf, bool batchNorm)
    {
        var lif = Run("bptt", batchNorm);
        var accumulated = Run(saf, batchNorm);
        Assert.Equal(Steps * Batch * 4 * 25, lif.Spikes.Length);
        Assert.Contains(1f, lif.Spikes);
        Assert.Contains(0f, lif.Spikes);
        Assert.Equal(lif.Spikes, accumulated.Spikes);
    }

    [Fact]
    public void Saf_batchnorm_averages_per_step_statistics()
    {
        // BPTT updates the running mean once with the (per-step) batch mean m: r = 0.1·m. SAF updates it at every step
        // with the same per-step mean: r = (1 − 0.9^T)·m.
        var once = Run("bptt").RunningMean;
        var everyStep = Run("saf-e").RunningMean;
        double factor = (1 - Math.Pow(0.9, Steps)) / 0.1;
        Assert.Contains(once, v => Math.Abs(v) > 1e-3);
        for (int c = 0; c < once.Length; c++)
            Assert.True(Math.Abs(everyStep[c] - factor * once[c]) <= 1e-5 + 1e-4 * Math.Abs(factor * once[c]),
                $"channel {c}: SAF running mean {everyStep[c]}, expected {factor * once[c]}");
    }
}
