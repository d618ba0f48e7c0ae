using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Flattens each sample: [N, ...] to [N, features] (a view, no copy).</summary>
public sealed class Flatten : ShapeLayer
{
    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        return [inputShape.Aggregate(1, (a, b) => a * b)];
    }

    /// <inheritdoc />
    protected override Tensor Apply(Tensor x, Pass pass) => x.Flatten();
}
