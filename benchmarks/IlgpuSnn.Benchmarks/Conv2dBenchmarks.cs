using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// A 3×3 convolution with padding 1 and stride 1 (no bias), channels in = channels out, forward and backward (input
/// and weight gradients). FLOPs per invocation: 3 · 2·B·C_out·H·W·C_in·9 (three GEMM-sized products).
/// </summary>
[Config(typeof(Conv2dConfig))]
public class Conv2dBenchmarks : ForwardBackwardBenchmark
{
    /// <summary>Batch size: 8 on the CPU, 128 on a GPU.</summary>
    [ParamsSource(nameof(Batches))]
    public int Batch { get; set; }

    /// <summary>Channels in and out.</summary>
    [ParamsSource(nameof(ChannelCounts))]
    public int Channels { get; set; }

    /// <summary>Height and width of the feature map.</summary>
    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    /// <summary>Batch sizes for the device class.</summary>
    public static IEnumerable<int> Batches => [BenchmarkSizes.Pick(8, 128)];

    /// <summary>Channel counts for the device class.</summary>
    public static IEnumerable<int> ChannelCounts => [BenchmarkSizes.Pick(32, 128)];

    /// <summary>Feature-map sizes for the device class.</summary>
    public static IEnumerable<int> Sizes => [BenchmarkSizes.Pick(16, 32)];

    /// <inheritdoc />
    protected override IEnumerable<Tensor> CreateInputs() =>
        [RandomInput(1, Batch, Channels, Size, Size), RandomInput(2, Channels, Channels, 3, 3)];

    /// <inheritdoc />
    protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => Ops.Conv2d(inputs[0], inputs[1], bias: null, stride: 1, padding: 1);

    private sealed class Conv2dConfig : ManualConfig
    {
        public Conv2dConfig() => AddColumn(new ThroughputColumn("TFLOP/s", c =>
        {
            double b = ThroughputColumn.Param(c, nameof(Batch)), ch = ThroughputColumn.Param(c, nameof(Channels));
            double s = ThroughputColumn.Param(c, nameof(Size));
            return 3 * 2 * b * ch * s * s * ch * 9;
        }, 1e12));
    }
}
