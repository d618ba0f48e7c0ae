using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data;

/// <summary>
/// Direct (analog) encoding: the same frame is presented at every time step; the first layer turns it into spikes.
/// </summary>
public sealed class DirectEncoder : IEncoder
{
    /// <summary>Returns [T, ...images.Shape] with every step equal to <paramref name="images"/> (seed unused).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeSteps"/> is not positive.</exception>
    public Tensor Encode(Tensor images, int timeSteps, ulong seed)
    {
        var output = EncoderShapes.Allocate("DirectEncoder.Encode", images, timeSteps);
        Ops.RepeatOverTime(images, output);
        return output;
    }
}
