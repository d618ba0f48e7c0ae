using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Average pooling over [N, C, H, W] (no padding).</summary>
public sealed class AvgPool2d(int kernel, int stride) : ShapeLayer
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel > 0 ? kernel : throw new ArgumentOutOfRangeException(nameof(kernel));

    /// <summary>Stride.</summary>
    public int Stride { get; } = stride > 0 ? stride : throw new ArgumentOutOfRangeException(nameof(stride));

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape) => PoolShape.Of("AvgPool2d", inputShape, Kernel, Stride);

    /// <inheritdoc />
    protected override Tensor Apply(Tensor x, Pass pass) => Ops.AvgPool2d(x, Kernel, Stride);
}
