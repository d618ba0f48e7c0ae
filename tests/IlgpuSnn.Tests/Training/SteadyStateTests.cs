using IlgpuSnn.Autodiff;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Training;

/// <summary>Whole training iterations against the pool's exact counters, tape clearing, and network save/load.</summary>
public sealed class SteadyStateTests(TestDevice fixture)
{
    [Theory]
    [InlineData("bptt")]
    [InlineData("sltt")]
    [InlineData("ratebp")]
    [InlineData("tt-lbptt")]
    public void Training_iterations_after_the_first_allocate_no_device_memory(string estimator)
    {
        using var device = fixture.CreateFresh();
        using var network = SpikingNetwork.Build(device, [1, 6, 6], b => b
            .Conv2d(3, 3, padding: 1).BatchNorm().Lif(new NeuronSpec()).AvgPool2d(2).Flatten().Linear(4), seed: 2);
        using var method = EstimatorFactory.Create(estimator, new EstimatorOptions { Window = 2 });
        method.Attach(network);
        using var sgd = new Sgd(network.Parameters.Concat(method.ExtraParameters).ToList(), 0.1f, momentum: 0.9f);
        long liveBefore = device.Pool.LiveBytes;
        var allocations = new List<long>();
        for (int i = 0; i < 4; i++)
        {
            using var scope = TensorScope.Begin();
            var input = Tensor.FromArray(device, Rand.Uniform(3 * 2 * 36, i, 0f, 1.5f), 3, 2, 1, 6, 6);
            var labels = Tensor.FromArray(device, [1f, 3f], 2);
            method.Run(network, input, new SequenceLoss(Criterion.CrossEntropy, method.RequiredReduction ?? LossReduction.PerStep, labels),
                new EstimatorContext { Update = () => { sgd.Step(); sgd.ZeroGrad(); }, Seed = (ulong)i });
            allocations.Add(device.Pool.DeviceAllocations);
        }
        Assert.Equal(allocations[1], allocations[^1]);
        Assert.Equal(liveBefore, device.Pool.LiveBytes);
    }

    [Fact]
    public void A_tape_cleared_without_backward_releases_what_it_kept()
    {
        using var device = fixture.CreateFresh();
        using var x = Tensor.FromArray(device, Rand.Uniform(64, 1), 8, 8).RequireGrad();
        using var tape = new Tape();
        long before;
        using (var scope = TensorScope.Begin())
        {
            using (tape.Record()) Ops.Tanh(Ops.Exp(x));
            Assert.Equal(2, tape.NodeCount);
            Assert.Equal(2 * 64 * sizeof(float), tape.SavedBytes);
            before = device.Pool.LiveBytes;
        }
        Assert.True(device.Pool.LiveBytes > x.Bytes, "the saved outputs outlive the scope while the tape holds them");
        tape.Clear();
        Assert.Equal(0, tape.NodeCount);
        Assert.Equal(0, tape.SavedBytes);
        Assert.Equal(x.Bytes, device.Pool.LiveBytes);
        Assert.True(before > device.Pool.LiveBytes);
    }

    [Fact]
    public void A_saved_network_loads_into_a_fresh_one_and_bad_files_are_refused()
    {
        var dir = Directory.CreateTempSubdirectory("ilgpusnn-save").FullName;
        try
        {
            var path = Path.Combine(dir, "net.safetensors");
            using var a = SpikingNetwork.Build(fixture.Device, [4], b => b.Linear(5).BatchNorm().Lif().Linear(3), seed: 1);
            using var b = SpikingNetwork.Build(fixture.Device, [4], b => b.Linear(5).BatchNorm().Lif().Linear(3), seed: 2);
            Assert.NotEqual(a.Parameters[0].ToArray(), b.Parameters[0].ToArray());
            a.Save(path);
            b.Load(path);
            foreach (var ((_, ta), (_, tb)) in a.NamedTensors().Zip(b.NamedTensors()))
                Assert.Equal(ta.ToArray(), tb.ToArray());
            using var other = SpikingNetwork.Build(fixture.Device, [4], b => b.Linear(6).Lif().Linear(3), seed: 1);
            var e = Assert.Throws<InvalidDataException>(() => other.Load(path));
            Assert.Contains("layers.0.weight", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
