using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data.Events;

/// <summary>
/// Presents pre-integrated frames: a batch [B, T·C, H, W] (each sample's T frames of C channels stacked, as
/// <see cref="FrameDatasets"/> stores them) becomes the time-first sequence [T, B, C, H, W].
/// </summary>
public sealed class FrameEncoder : IEncoder
{
    /// <summary>Creates the encoder for samples of <paramref name="frames"/> frames.</summary>
    /// <param name="frames">Number of frames T per sample; must be positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frames"/> is not positive.</exception>
    public FrameEncoder(int frames)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frames);
        Frames = frames;
    }

    /// <summary>Frames per sample T.</summary>
    public int Frames { get; }

    /// <summary>Returns [T, B, C, H, W] (seed unused).</summary>
    /// <param name="images">The batch [B, T·C, H, W]: every sample's T frames stacked along the channels.</param>
    /// <param name="timeSteps">Number of time steps; must equal <see cref="Frames"/>.</param>
    /// <param name="seed">Ignored: the encoding is deterministic.</param>
    /// <returns>A new tensor [T, B, C, H, W] that the caller owns.</returns>
    /// <exception cref="ArgumentException"><paramref name="timeSteps"/> differs from <see cref="Frames"/>, or the channels are not a multiple of it.</exception>
    public Tensor Encode(Tensor images, int timeSteps, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        Check.Alive("FrameEncoder.Encode", images);
        if (timeSteps != Frames)
            throw new ArgumentException($"FrameEncoder: the samples hold {Frames} frames, but {timeSteps} time steps were asked for; use T = {Frames}.");
        if (images.Rank != 4 || images.Dim(1) % Frames != 0)
            throw new ArgumentException($"FrameEncoder: input {Tensor.Format(images.Shape)} is not [B, {Frames}·C, H, W].");
        int b = images.Dim(0), c = images.Dim(1) / Frames, h = images.Dim(2), w = images.Dim(3);
        var output = Tensor.Empty(images.Device, Frames, b, c, h, w);
        Ops.FramesTimeFirst(images, output, b, Frames, (long)c * h * w);
        return output;
    }
}
