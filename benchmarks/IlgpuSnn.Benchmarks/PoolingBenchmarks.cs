using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// 2×2 average or max pooling with stride 2, forward and backward, on [B, 64, 32, 32]. Reported as input elements
/// per second.
/// </summary>
[Config(typeof(PoolingConfig))]
public class PoolingBenchmarks : ForwardBackwardBenchmark
{
    /// <summary>"avg" or "max".</summary>
    [Params("avg", "max")]
    public string Kind { get; set; } = "avg";

    /// <summary>Batch size: 8 on the CPU, 128 on a GPU.</summary>
    [ParamsSource(nameof(Batches))]
    public int Batch { get; set; }

    /// <summary>Batch sizes for the device class.</summary>
    public static IEnumerable<int> Batches => [BenchmarkSizes.Pick(8, 128)];

    /// <summary>Channels.</summary>
    public const int Channels = 64;

    /// <summary>Height and width of the input feature map.</summary>
    public const int Size = 32;

    /// <inheritdoc />
    protected override IEnumerable<Tensor> CreateInputs() => [RandomInput(1, Batch, Channels, Size, Size)];

    /// <inheritdoc />
    protected override Tensor Forward(IReadOnlyList<Tensor> inputs) =>
        Kind == "max" ? Ops.MaxPool2d(inputs[0], 2, 2) : Ops.AvgPool2d(inputs[0], 2, 2);

    private sealed class PoolingConfig : ManualConfig
    {
        public PoolingConfig() => AddColumn(new ThroughputColumn("G elements/s",
            c => (double)ThroughputColumn.Param(c, nameof(Batch)) * Channels * Size * Size, 1e9));
    }
}
