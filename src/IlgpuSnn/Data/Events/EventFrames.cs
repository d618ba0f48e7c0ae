using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data.Events;

/// <summary>Integrates event recordings into frames of event counts on a device (see <see cref="FrameOptions"/> and <see cref="FrameSplit"/>).</summary>
public static class EventFrames
{
    /// <summary>The frames of one recording, [Frames, 2, height, width] in C order (channel 0 = OFF, 1 = ON), as event counts.</summary>
    /// <param name="device">The device the integration kernel runs on.</param>
    /// <param name="events">The recording.</param>
    /// <param name="options">How events become frames (count, split, output size).</param>
    /// <returns>Event counts [Frames, 2, height, width], C order.</returns>
    /// <exception cref="ArgumentException">The options do not fit the sensor.</exception>
    public static float[] Integrate(Device device, EventRecording events, FrameOptions options) => Integrate(device, [events], options);

    /// <summary>
    /// The frames of several recordings of one sensor in one launch, [recordings, Frames, 2, height, width] in C order.
    /// </summary>
    /// <param name="device">The device the integration kernel runs on.</param>
    /// <param name="recordings">The recordings, all of one sensor size.</param>
    /// <param name="options">How events become frames (count, split, output size).</param>
    /// <returns>Event counts [recordings, Frames, 2, height, width], C order.</returns>
    /// <exception cref="ArgumentException">The options do not fit the sensor, or the recordings come from different sensors.</exception>
    public static float[] Integrate(Device device, IReadOnlyList<EventRecording> recordings, FrameOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(recordings);
        ArgumentNullException.ThrowIfNull(options);
        if (recordings.Count == 0) return [];
        int width = recordings[0].Width, height = recordings[0].Height;
        if (recordings.Any(r => r.Width != width || r.Height != height))
            throw new ArgumentException($"EventFrames: the recordings come from different sensors (the first is {width}x{height}).");
        if (width > 0x7FFF || height > 0x7FFF)
            throw new ArgumentException($"EventFrames: a {width}x{height} sensor exceeds the 32767-pixel side the packed events hold.");
        var (w, h) = options.Resolve(width, height);
        long size = (long)recordings.Count * options.Frames * 2 * h * w;
        long total = recordings.Sum(r => (long)r.Count);
        if (size > Array.MaxLength || total > int.MaxValue)
            throw new ArgumentException($"EventFrames: {recordings.Count} recordings of {total} events into {options.Frames} frames of 2x{h}x{w} do not fit one launch; integrate fewer at a time.");
        var times = new long[total];
        var packed = new int[total];
        var offsets = new int[recordings.Count + 1];
        int at = 0;
        for (int s = 0; s < recordings.Count; s++)
        {
            var r = recordings[s];
            offsets[s] = at;
            Array.Copy(r.Timestamps, 0, times, at, r.Count);
            for (int i = 0; i < r.Count; i++) packed[at + i] = (r.X[i] << 16) | (r.Y[i] << 1) | r.Polarity[i];
            at += r.Count;
        }
        offsets[^1] = at;
        var accelerator = device.Accelerator;
        using var timeBuffer = accelerator.Allocate1D<long>(Math.Max(total, 1));
        using var eventBuffer = accelerator.Allocate1D<int>(Math.Max(total, 1));
        if (total > 0)
        {
            timeBuffer.View.SubView(0, total).CopyFromCPU(times);
            eventBuffer.View.SubView(0, total).CopyFromCPU(packed);
        }
        using var offsetBuffer = accelerator.Allocate1D(offsets);
        using var frames = accelerator.Allocate1D<float>(size);
        frames.MemSetToZero();
        Ops.IntegrateEventFrames(device, timeBuffer.View, eventBuffer.View, offsetBuffer.View, frames.View, options.Frames, (int)options.Split,
            options.DurationUs, new Index2D(width, height), new Index2D(w, h));
        device.RunQueued(); // the CPU accelerator records kernels; run them before reading through ILGPU directly
        return frames.GetAsArray1D();
    }
}
