using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Averages each channel over its spatial positions: [N, C, H, W] to [N, C].</summary>
public sealed class GlobalAvgPool : ShapeLayer
{
    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length != 3) throw new ArgumentException($"GlobalAvgPool: expects per-sample input [C, H, W], got {Tensor.Format(inputShape)}.");
        return [inputShape[0]];
    }

    /// <inheritdoc />
    protected override Tensor Apply(Tensor x, Pass pass)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var spatial = x.Reshape(x.Dim(0), x.Dim(1), -1);
        return Ops.MeanAxis(spatial, 2);
    }
}
