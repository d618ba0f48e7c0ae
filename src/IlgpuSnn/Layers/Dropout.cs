using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// Dropout with one mask per sequence, fixed over all time steps (as spiking networks need); inactive in evaluation.
/// </summary>
public sealed class Dropout : ShapeLayer
{
    private readonly ulong salt;

    /// <summary>Creates a dropout layer with drop probability <paramref name="p"/>.</summary>
    /// <param name="p">Drop probability in [0, 1).</param>
    /// <param name="salt">Mixed into the pass's dropout seed, so that layers draw different masks.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1).</exception>
    public Dropout(float p, ulong salt)
    {
        if (p is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p must be in [0, 1), got {p}.");
        P = p;
        this.salt = salt;
    }

    /// <summary>Drop probability.</summary>
    public float P { get; }

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape) => inputShape;

    /// <inheritdoc />
    protected override Tensor Apply(Tensor x, Pass pass)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(pass);
        if (!pass.Training || P == 0f) return Ops.Clone(x);
        // Mask over [B, ...]: one per sequence; sequence-mode inputs are [T*B, ...] and broadcast it over T.
        var sampleShape = x.ShapeArray();
        sampleShape[0] = pass.BatchSize;
        using var mask = Ops.DropoutMask(x.Device, sampleShape, P, pass.DropoutSeed ^ salt);
        if (pass.TimeSteps == 1) return Ops.Dropout(x, mask);
        var timeFirst = x.ShapeArray();
        using var sequence = x.Reshape([pass.TimeSteps, .. sampleShape]);
        using var dropped = Ops.Dropout(sequence, mask);
        return dropped.Reshape(timeFirst);
    }
}
