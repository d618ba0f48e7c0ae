using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data;

/// <summary>
/// Direct (analog) encoding: the same frame is presented at every time step; the first layer turns it into spikes.
/// </summary>
public sealed class DirectEncoder : IEncoder
{
    /// <summary>Returns [T, ...images.Shape] with every step equal to <paramref name="images"/> (seed unused).</summary>
    /// <param name="images">The batch [B, ...sample shape], values as they are.</param>
    /// <param name="timeSteps">Number of time steps T; must be positive.</param>
    /// <param name="seed">Ignored: the encoding is deterministic.</param>
    /// <returns>A new tensor [T, B, ...sample shape] that the caller owns.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeSteps"/> is not positive.</exception>
    public Tensor Encode(Tensor images, int timeSteps, ulong seed)
    {
        var output = EncoderShapes.Allocate("DirectEncoder.Encode", images, timeSteps);
        Ops.RepeatOverTime(images, output);
        return output;
    }
}
