using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Max pooling over [N, C, H, W] (no padding). Not linear: SAF's forward identity does not hold through it.</summary>
public sealed class MaxPool2d(int kernel, int stride) : ShapeLayer
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel > 0 ? kernel : throw new ArgumentOutOfRangeException(nameof(kernel));

    /// <summary>Stride.</summary>
    public int Stride { get; } = stride > 0 ? stride : throw new ArgumentOutOfRangeException(nameof(stride));

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape) => PoolShape.Of("MaxPool2d", inputShape, Kernel, Stride);

    /// <inheritdoc />
    protected override Tensor Apply(Tensor x, Pass pass) => Ops.MaxPool2d(x, Kernel, Stride);
}
