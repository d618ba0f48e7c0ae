using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// OTTT (ottt-a, ottt-o) with each neuron step writing its presynaptic trace in its own launch against the two-launch
/// form (the step, then <see cref="Ops.NextTrace"/>): the same loss, the same gradients at every optimizer step, the same
/// weights after the SGD updates and the same evaluation spikes afterwards, float for float on the CPU; and exactly
/// (neuron layers × (T − 1)) fewer launches per sequence (the first step's trace is the spikes' own memory in both),
/// on the host kernels and on the portable ones a GPU runs.
/// </summary>
public sealed class OtttTraceFusionTests(TestDevice fixture)
{
    private const int T = 4, B = 3;

    private sealed record Outcome(List<float[]> Values, long Launches, int NeuronLayers, int Updates);

    private Outcome Run(bool online, string model, bool fuse, bool allTrace, bool hostKernels = true)
    {
        using var device = fixture.CreateFresh();
        device.Launch.UseHostKernels &= hostKernels;
        using var network = model == "conv"
            ? SpikingNetwork.Build(device, [1, 8, 8], b => b
                .Conv2d(4, 3, padding: 1).Lif(NeuronSpec.Lif(0.6f, 0.7f)).AvgPool2d(2)
                .Conv2d(6, 3, padding: 1).BatchNorm().Neuron(NeuronSpec.If(0.9f, ResetMode.Hard))
                .Flatten().Linear(10).Lif(NeuronSpec.Lif(0.5f, 0.8f, ResetMode.Soft, false, Surrogate.Triangle())).Linear(3), seed: 5)
            : SpikingNetwork.Build(device, [1, 8, 8], b => b
                .Flatten().Linear(20).Lif(NeuronSpec.Lif(0.6f, 0.7f))
                .Linear(12, bias: false).Lif(NeuronSpec.Lif(0.5f, 0.8f, ResetMode.Soft, false, Surrogate.ATan())).Linear(3), seed: 5);
        using var method = new Ottt(online, allTrace) { FuseTrace = fuse };
        method.Attach(network);
        using var optimizer = new Sgd(network.Parameters, 0.5f);
        var values = new List<float[]>();
        int updates = 0;
        long launches;
        using (TensorScope.Begin())
        {
            var input = Tensor.FromArray(device, Rand.Uniform(T * B * 64, 21, 0f, 1.5f), T, B, 1, 8, 8);
            var loss = new SequenceLoss(Criterion.CrossEntropy, method.RequiredReduction ?? LossReduction.PerStep, Tensor.FromArray(device, [0f, 2f, 1f], B));
            var context = new EstimatorContext
            {
                Update = () =>
                {
                    updates++;
                    values.AddRange(network.Parameters.Select(p => p.Grad!.ToArray()));
                    optimizer.Step();
                    optimizer.ZeroGrad();
                },
                Seed = 9,
            };
            launches = device.Activity.KernelLaunches;
            using var result = method.Run(network, input, loss, context);
            launches = device.Activity.KernelLaunches - launches;
            values.Add([result.Loss]);
            values.AddRange(network.Parameters.Select(p => p.ToArray()));
            using var evaluation = network.Forward(input, training: false);
            values.Add(evaluation.ToArray());
        }
        return new Outcome(values, launches, network.NeuronLayerIndices.Count, updates);
    }

    [Theory]
    [InlineData(false, "mlp", false)]
    [InlineData(true, "mlp", false)]
    [InlineData(false, "conv", true)]
    [InlineData(true, "conv", false)]
    public void Fused_trace_trains_as_the_two_launch_form_with_fewer_launches(bool online, string model, bool allTrace)
    {
        var fused = Run(online, model, fuse: true, allTrace);
        var separate = Run(online, model, fuse: false, allTrace);
        Assert.Equal(separate.Values.Count, fused.Values.Count);
        Assert.Equal(online ? T : 1, fused.Updates);
        for (int k = 0; k < fused.Values.Count; k++)
            Close.IdenticalOnCpu(separate.Values[k], fused.Values[k], fixture.IsGpu, 1e-5, 1e-4, $"value set {k}");
        Assert.Equal(separate.Launches - fused.NeuronLayers * (T - 1), fused.Launches);
    }

    [Fact]
    public void Portable_kernels_save_one_launch_per_neuron_layer_and_later_step()
    {
        var fused = Run(online: true, "conv", fuse: true, allTrace: false, hostKernels: false);
        var separate = Run(online: true, "conv", fuse: false, allTrace: false, hostKernels: false);
        Assert.Equal(3, fused.NeuronLayers);
        Assert.Equal(separate.Launches - (3 * (T - 1)), fused.Launches);
        for (int k = 0; k < fused.Values.Count; k++)
            Close.Within(separate.Values[k].Select(v => (double)v), fused.Values[k], fixture.IsGpu ? 1e-5 : 0, fixture.IsGpu ? 1e-4 : 0, $"value set {k}");
    }
}
