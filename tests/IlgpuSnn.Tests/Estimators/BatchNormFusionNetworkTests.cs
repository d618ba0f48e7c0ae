using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// Whole networks with every BatchNorm directly before a neuron layer (BatchNorm2d on 8×8 and 4×4 planes, BatchNorm1d;
/// LIF, PLIF and IF) trained and evaluated with the BatchNorm + neuron fusion on and off
/// (<see cref="SpikingNetwork.FuseBatchNorm"/>): the same loss, the same gradient of every parameter (auxiliary heads
/// included), the same running statistics and the same evaluation read-out, float for float on the CPU; and the fused
/// pass needs no more memory (it never writes BatchNorm's output or x̂; in training it keeps x instead of x̂, the same
/// size) and, on the portable kernels a GPU runs, launches fewer kernels.
/// </summary>
public sealed class BatchNormFusionNetworkTests(TestDevice fixture)
{
    private sealed record Outcome(float[][] Values, long TrainingPeak, long EvaluationPeak, long Launches);

    private Outcome Run(string estimator, string model, bool fuse, bool hostKernels = true)
    {
        using var device = fixture.CreateFresh();
        device.Launch.UseHostKernels &= hostKernels;
        var hard = NeuronSpec.If(0.9f, ResetMode.Hard);
        using var network = model == "conv"
            ? SpikingNetwork.Build(device, [1, 8, 8], b => b
                .Conv2d(4, 3, padding: 1, bias: false).BatchNorm().Lif(NeuronSpec.Lif(0.6f, 0.7f)).AvgPool2d(2)
                .Conv2d(6, 3, padding: 1).BatchNorm().Plif(0.6f)
                .Flatten().Linear(10).BatchNorm().Neuron(hard).Linear(3), seed: 5)
            : SpikingNetwork.Build(device, [1, 8, 8], b => b
                .Flatten().Linear(20).BatchNorm().Lif(NeuronSpec.Lif(0.6f, 0.7f))
                .Linear(12, bias: false).BatchNorm().Lif(NeuronSpec.Lif(0.5f, 0.8f, ResetMode.Soft, false, Surrogate.Triangle())).Linear(3), seed: 5);
        network.FuseBatchNorm = fuse;
        var options = estimator == "tt-lbptt" ? new EstimatorOptions { Window = 2, Blocks = [[0], [.. Enumerable.Range(1, network.NeuronLayerIndices.Count - 1)]] } : null;
        using var method = EstimatorFactory.Create(estimator, options);
        method.Attach(network);
        using var scope = TensorScope.Begin();
        const int T = 4, B = 3;
        var input = Tensor.FromArray(device, Rand.Uniform(T * B * 64, 21, 0f, 1.5f), T, B, 1, 8, 8);
        var loss = new SequenceLoss(Criterion.CrossEntropy, method.RequiredReduction ?? LossReduction.PerStep, Tensor.FromArray(device, [0f, 2f, 1f], B));
        long baseline = device.Pool.LiveBytes;
        device.Pool.ResetPeak();
        long launches = device.Activity.KernelLaunches;
        using var result = method.Run(network, input, loss, new EstimatorContext { Update = () => { }, Seed = 9 });
        float lossValue = result.Loss;
        long peak = device.Pool.PeakBytes - baseline;
        launches = device.Activity.KernelLaunches - launches;
        var values = new List<float[]> { new[] { lossValue } };
        values.AddRange(network.Parameters.Concat(method.ExtraParameters).Select(p => p.Grad!.ToArray()));
        values.AddRange(network.Layers.SelectMany(l => l.Buffers).Select(b => b.ToArray()));
        baseline = device.Pool.LiveBytes;
        device.Pool.ResetPeak();
        using var evaluation = network.Forward(input, training: false);
        long evaluationPeak = device.Pool.PeakBytes - baseline;
        values.Add(evaluation.ToArray());
        return new Outcome([.. values], peak, evaluationPeak, launches);
    }

    [Theory]
    [InlineData("bptt", "conv")]
    [InlineData("bptt", "mlp")]
    [InlineData("tt-lbptt", "conv")]
    [InlineData("tt-lbptt", "mlp")]
    public void Fused_network_trains_and_evaluates_as_the_unfused_one(string estimator, string model)
    {
        var fused = Run(estimator, model, fuse: true);
        var separate = Run(estimator, model, fuse: false);
        Assert.Equal(separate.Values.Length, fused.Values.Length);
        for (int k = 0; k < fused.Values.Length; k++)
            Close.IdenticalOnCpu(separate.Values[k], fused.Values[k], fixture.IsGpu, 1e-4, 1e-3, $"value set {k}");
        // Training keeps x instead of x̂ (the same size); both passes hold x and the spikes where the separate layers held
        // x and y, then y and the spikes; the fused pass adds only a table of 5 values per channel.
        Assert.True(fused.TrainingPeak <= separate.TrainingPeak + 1024, $"training pool peak fused {fused.TrainingPeak} B, unfused {separate.TrainingPeak} B");
        Assert.True(fused.EvaluationPeak <= separate.EvaluationPeak + 1024, $"evaluation pool peak fused {fused.EvaluationPeak} B, unfused {separate.EvaluationPeak} B");
    }

    [Fact]
    public void Portable_kernels_launch_fewer_kernels_when_fused()
    {
        var fused = Run("bptt", "conv", fuse: true, hostKernels: false);
        var separate = Run("bptt", "conv", fuse: false, hostKernels: false);
        // Per BatchNorm (three) in the training sequence: no normalisation launch, and the running update joins the
        // launch that prepares the table.
        Assert.True(fused.Launches <= separate.Launches - 6, $"launches fused {fused.Launches}, unfused {separate.Launches}");
    }
}
