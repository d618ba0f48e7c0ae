using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data.Events;

/// <summary>Integrates event streams into frames of event counts on a device (see <see cref="FrameOptions"/> and <see cref="FrameSplit"/>).</summary>
public static class EventFrames
{
    /// <summary>
    /// The frames of <paramref name="events"/>, [Frames, 2, height, width] in C order (channel 0 = OFF, 1 = ON), as
    /// event counts.
    /// </summary>
    /// <exception cref="ArgumentException">The options do not fit the sensor.</exception>
    public static float[] Integrate(Device device, EventRecording events, FrameOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(options);
        if (events.Width > 0x7FFF || events.Height > 0x7FFF)
            throw new ArgumentException($"EventFrames: a {events.Width}x{events.Height} sensor exceeds the 32767-pixel side the packed events hold.");
        var (w, h) = options.Resolve(events.Width, events.Height);
        long size = (long)options.Frames * 2 * h * w;
        if (size > Array.MaxLength)
            throw new ArgumentException($"EventFrames: {options.Frames} frames of 2x{h}x{w} do not fit one array.");
        var result = new float[size];
        int n = events.Count;
        if (n == 0) return result;
        var packed = new int[n];
        for (int i = 0; i < n; i++) packed[i] = (events.X[i] << 16) | (events.Y[i] << 1) | events.Polarity[i];
        long t0 = events.Timestamps[0];
        long step = options.Split switch
        {
            FrameSplit.Count => n / options.Frames,
            FrameSplit.Time => (events.Timestamps[n - 1] - t0) / options.Frames,
            _ => options.DurationUs,
        };
        var accelerator = device.Accelerator;
        using var times = accelerator.Allocate1D(events.Timestamps);
        using var codes = accelerator.Allocate1D(packed);
        using var counts = accelerator.Allocate1D<int>(size);
        counts.MemSetToZero();
        FrameKernels.Integrate(device, times.View, codes.View, counts.View, options.Frames, options.Split, step,
            new Index2D(events.Width, events.Height), new Index2D(w, h));
        var host = counts.GetAsArray1D();
        for (long i = 0; i < size; i++) result[i] = host[i];
        return result;
    }
}
