using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Reliability;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>TT-LBPTT's choices as a user makes them: blocks, the auxiliary head, and when the optimizer steps.</summary>
public sealed class TtLbpttOptionTests(TestDevice fixture)
{
    private SpikingNetwork Conv() => Models.Create("conv", fixture.Device, [1, 8, 8], 10, new NeuronSpec(), seed: 2);

    [Theory]
    [InlineData(AuxiliaryHead.PoolLinear, typeof(GlobalAvgPool), 32)]
    [InlineData(AuxiliaryHead.Linear, typeof(Flatten), 32 * 8 * 8)]
    public void The_auxiliary_head_is_the_one_asked_for(AuxiliaryHead kind, Type first, int features)
    {
        using var network = Conv();
        using var method = (TruncatedLocalBptt)EstimatorFactory.Create("tt-lbptt", new EstimatorOptions
        {
            Window = 2, Blocks = TruncatedLocalBptt.EvenBlocks(network.NeuronLayerIndices.Count, 2), AuxiliaryHead = kind,
        });
        method.Attach(network);
        // Block 0 ends at its spiking layer (the output spikes, before the pooling that follows): [32, 8, 8] per sample.
        var head = Assert.Single(method.Heads);
        Assert.IsType(first, head[0]);
        var linear = Assert.IsType<Linear>(head[1]);
        Assert.Equal(features, linear.InFeatures);
        Assert.Equal(10, linear.OutFeatures);
        Assert.Equal(head.SelectMany(l => l.Parameters), method.ExtraParameters);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 3)]
    public void The_optimizer_steps_once_or_after_every_window(bool perWindow, int updates)
    {
        using var network = Conv();
        using var method = EstimatorFactory.Create("tt-lbptt", new EstimatorOptions
        {
            Window = 2, Blocks = TruncatedLocalBptt.EvenBlocks(network.NeuronLayerIndices.Count, 2), PerWindowUpdate = perWindow,
        });
        method.Attach(network);
        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(fixture.Device, Rand.Uniform(5 * 2 * 64, 4, 0f, 1f), 5, 2, 1, 8, 8);
        var labels = Tensor.FromArray(fixture.Device, [1f, 4f], 2);
        int count = 0;
        method.Run(network, input, new SequenceLoss(Criterion.CrossEntropy, LossReduction.PerStep, labels), new EstimatorContext { Update = () => count++ });
        Assert.Equal(updates, count); // T = 5 in windows of 2: {1, 2}, {3, 4}, {5}
    }

    [Fact]
    public void Blocks_beyond_the_spiking_layers_are_refused_in_one_line()
    {
        var e = Assert.Throws<ArgumentException>(() => TruncatedLocalBptt.EvenBlocks(2, 3));
        Assert.Contains("between 1 and the number of spiking layers (2), got 3", e.Message, StringComparison.Ordinal);
        Assert.Equal([[0], [1, 2]], TruncatedLocalBptt.EvenBlocks(3, 2));
    }

    [Fact]
    public void Unknown_update_and_head_values_fail_in_one_line_before_any_data_is_loaded()
    {
        CliProcess.RequireBuilt();
        using var tmp = new TempFolder();
        string missing = tmp.File("no-such-dataset");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", missing, "--out", tmp.File("o"), "--update", "sometimes"), "--update 'sometimes'");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", missing, "--out", tmp.File("o"), "--aux-head", "mlp"), "--aux-head 'mlp'");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "compare", "--dataset", missing, "--out", tmp.File("c"), "--update", "never"), "--update 'never'");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "compare", "--dataset", missing, "--out", tmp.File("c"), "--blocks", "0"), "--blocks");
    }
}
