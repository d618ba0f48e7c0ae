namespace IlgpuSnn.Data.Events;

/// <summary>
/// How events become frames [Frames, 2, OutputHeight, OutputWidth]: channel 0 counts OFF events, channel 1 ON events.
/// Down-sampling maps sensor pixel (x, y) to (⌊x·OutputWidth/W⌋, ⌊y·OutputHeight/H⌋), so each output pixel sums
/// the events of the sensor pixels it covers (e.g. 128 → 48 as in the CIFAR10-DVS papers).
/// </summary>
/// <param name="Frames">Frames per sample M (positive).</param>
/// <param name="Split">How the recording is cut.</param>
/// <param name="DurationUs">Frame length for <see cref="FrameSplit.Duration"/> (µs, positive there; ignored otherwise).</param>
/// <param name="OutputWidth">Frame width; null = the sensor width.</param>
/// <param name="OutputHeight">Frame height; null = the sensor height.</param>
public sealed record FrameOptions(int Frames, FrameSplit Split = FrameSplit.Count, long DurationUs = 0, int? OutputWidth = null, int? OutputHeight = null)
{
    /// <summary>Checks the options against a sensor and returns the frame size.</summary>
    /// <param name="sensorWidth">Sensor width in pixels.</param>
    /// <param name="sensorHeight">Sensor height in pixels.</param>
    /// <returns>The frame width and height: the output size if set, else the sensor's.</returns>
    /// <exception cref="ArgumentException">A count or size is not positive, a duration is missing, or the frame is larger than the sensor.</exception>
    public (int Width, int Height) Resolve(int sensorWidth, int sensorHeight)
    {
        if (Frames <= 0)
            throw new ArgumentException($"FrameOptions: frames must be positive, got {Frames}.");
        if (Split == FrameSplit.Duration && DurationUs <= 0)
            throw new ArgumentException($"FrameOptions: split by duration needs a positive duration, got {DurationUs} µs.");
        int w = OutputWidth ?? sensorWidth, h = OutputHeight ?? sensorHeight;
        if (w <= 0 || h <= 0 || w > sensorWidth || h > sensorHeight)
            throw new ArgumentException($"FrameOptions: frame size {w}x{h} must be positive and at most the {sensorWidth}x{sensorHeight} sensor.");
        return (w, h);
    }

    /// <summary>A stable text form of the options, used in cache keys.</summary>
    /// <param name="sensorWidth">Sensor width in pixels, used to resolve the frame size.</param>
    /// <param name="sensorHeight">Sensor height in pixels, used to resolve the frame size.</param>
    /// <returns>Culture-invariant text naming every option that affects the frames.</returns>
    /// <exception cref="ArgumentException">The options do not fit the sensor (see <see cref="Resolve"/>).</exception>
    public string Key(int sensorWidth, int sensorHeight)
    {
        var (w, h) = Resolve(sensorWidth, sensorHeight);
        return $"frames{Frames}_{Split.ToString().ToLowerInvariant()}{(Split == FrameSplit.Duration ? DurationUs.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")}_{w}x{h}";
    }
}
