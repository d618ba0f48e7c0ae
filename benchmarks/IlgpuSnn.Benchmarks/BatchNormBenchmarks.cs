using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// BatchNorm2d in training mode (batch statistics, running statistics updated), forward and backward (input, gamma
/// and beta gradients) on [B, C, H, W]. Reported as input elements per second.
/// </summary>
[Config(typeof(BatchNormConfig))]
public class BatchNormBenchmarks : ForwardBackwardBenchmark
{
    /// <summary>Channels.</summary>
    [Params(64)]
    public int Channels { get; set; }

    /// <summary>Batch size: 8 on the CPU, 128 on a GPU (feature maps 32×32).</summary>
    [ParamsSource(nameof(Batches))]
    public int Batch { get; set; }

    /// <summary>Batch sizes for the device class.</summary>
    public static IEnumerable<int> Batches => [BenchmarkSizes.Pick(8, 128)];

    /// <summary>Height and width of the feature map.</summary>
    public const int Size = 32;

    /// <inheritdoc />
    protected override IEnumerable<Tensor> CreateInputs() =>
    [
        RandomInput(1, Batch, Channels, Size, Size),
        Tensor.Full(Device, 1f, Channels).RequireGrad(),
        Tensor.Zeros(Device, Channels).RequireGrad(),
        Tensor.Zeros(Device, Channels),
        Tensor.Full(Device, 1f, Channels),
    ];

    /// <inheritdoc />
    protected override Tensor Forward(IReadOnlyList<Tensor> inputs) =>
        Ops.BatchNorm(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], training: true);

    private sealed class BatchNormConfig : ManualConfig
    {
        public BatchNormConfig() => AddColumn(new ThroughputColumn("G elements/s",
            c => (double)ThroughputColumn.Param(c, nameof(Batch)) * ThroughputColumn.Param(c, nameof(Channels)) * Size * Size, 1e9));
    }
}
