using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// The fused multi-step LIF neuron (sigmoid surrogate, soft reset): the whole T loop forward in one kernel and the
/// whole t = T..1 loop backward in one kernel, on a [T, N] input current. Reported as neuron-steps per second
/// (T·N per invocation, forward and backward together).
/// </summary>
[Config(typeof(LifConfig))]
public class LifBenchmarks : ForwardBackwardBenchmark
{
    /// <summary>Time steps.</summary>
    [Params(8)]
    public int T { get; set; }

    /// <summary>Neurons per step (batch × features): 2^16 on the CPU, 2^24 on a GPU.</summary>
    [ParamsSource(nameof(NeuronCounts))]
    public int Neurons { get; set; }

    /// <summary>Sizes of <see cref="Neurons"/> for the device class.</summary>
    public static IEnumerable<int> NeuronCounts => [BenchmarkSizes.Pick(1 << 16, 1 << 24)];

    /// <inheritdoc />
    protected override IEnumerable<Tensor> CreateInputs() => [RandomInput(1, T, Neurons)];

    /// <inheritdoc />
    protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.LifSequence(inputs[0], new NeuronSpec());

    private sealed class LifConfig : ManualConfig
    {
        public LifConfig() => AddColumn(new ThroughputColumn("G neuron-steps/s",
            c => (double)ThroughputColumn.Param(c, nameof(T)) * ThroughputColumn.Param(c, nameof(Neurons)), 1e9));
    }
}
