using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// Multiplies its input by a constant factor: the official OTTT networks put Scale(2.74) after every spiking layer
/// of a weight-standardised network, so that spikes feed the next standardised layer at about unit variance.
/// </summary>
public sealed class Scale : ShapeLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="factor">The factor (finite).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> is not finite.</exception>
    public Scale(float factor)
    {
        if (!float.IsFinite(factor)) throw new ArgumentOutOfRangeException(nameof(factor), $"Scale: the factor must be finite, got {factor}.");
        Factor = factor;
    }

    /// <summary>The official OTTT networks' factor after a spiking layer.</summary>
    public const float SpikeGain = 2.74f;

    /// <summary>The factor.</summary>
    public float Factor { get; }

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape) => inputShape;

    /// <inheritdoc />
    protected override Tensor Apply(Tensor x, Pass pass) => Ops.Scale(x, Factor);
}
