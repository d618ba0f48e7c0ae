namespace IlgpuSnn.Data.Events;

/// <summary>
/// The events of one recording, in time order: event i happened at <see cref="Timestamps"/>[i] microseconds at pixel
/// (<see cref="X"/>[i], <see cref="Y"/>[i]) with polarity <see cref="Polarity"/>[i] (1 = ON, brighter; 0 = OFF).
/// Every coordinate lies inside the <see cref="Width"/> × <see cref="Height"/> sensor and timestamps never decrease.
/// </summary>
public sealed class EventRecording
{
    /// <summary>Wraps the arrays (no copy) after checking that they agree, lie on the sensor and are time-ordered.</summary>
    /// <param name="width">Sensor width in pixels; every x must be in [0, width).</param>
    /// <param name="height">Sensor height in pixels; every y must be in [0, height).</param>
    /// <param name="timestamps">Event times in µs, non-decreasing.</param>
    /// <param name="x">Column of every event.</param>
    /// <param name="y">Row of every event.</param>
    /// <param name="polarity">Polarity of every event: 0 = OFF, 1 = ON.</param>
    /// <exception cref="ArgumentException">Lengths differ, a coordinate or polarity is out of range, or time goes back.</exception>
    public EventRecording(int width, int height, long[] timestamps, int[] x, int[] y, byte[] polarity)
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(polarity);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"EventRecording: sensor {width}x{height} must be positive.");
        int n = timestamps.Length;
        if (x.Length != n || y.Length != n || polarity.Length != n)
            throw new ArgumentException($"EventRecording: {n} timestamps, {x.Length} x, {y.Length} y and {polarity.Length} polarities disagree.");
        for (int i = 0; i < n; i++)
        {
            if ((uint)x[i] >= (uint)width || (uint)y[i] >= (uint)height)
                throw new ArgumentException($"EventRecording: event {i} at ({x[i]}, {y[i]}) lies outside the {width}x{height} sensor.");
            if (polarity[i] > 1)
                throw new ArgumentException($"EventRecording: event {i} has polarity {polarity[i]}; only 0 and 1 exist.");
            if (timestamps[i] < 0 || (i > 0 && timestamps[i] < timestamps[i - 1]))
                throw new ArgumentException($"EventRecording: event {i} has timestamp {timestamps[i]} µs, before its predecessor or negative.");
        }
        Width = width;
        Height = height;
        Timestamps = timestamps;
        X = x;
        Y = y;
        Polarity = polarity;
    }

    /// <summary>Sensor width in pixels (x in [0, Width)).</summary>
    public int Width { get; }

    /// <summary>Sensor height in pixels (y in [0, Height)).</summary>
    public int Height { get; }

    /// <summary>Number of events.</summary>
    public int Count => Timestamps.Length;

#pragma warning disable CA1819 // the stream exposes its storage on purpose (no copies of millions of events)
    /// <summary>Event times in microseconds, non-decreasing.</summary>
    public long[] Timestamps { get; }

    /// <summary>Column of each event.</summary>
    public int[] X { get; }

    /// <summary>Row of each event.</summary>
    public int[] Y { get; }

    /// <summary>Polarity of each event: 1 = ON (brighter), 0 = OFF.</summary>
    public byte[] Polarity { get; }
#pragma warning restore CA1819

    /// <summary>The events with <paramref name="start"/> ≤ t &lt; <paramref name="end"/> (copies).</summary>
    /// <param name="start">First time included, µs.</param>
    /// <param name="end">First time excluded, µs.</param>
    /// <returns>A new recording of the same sensor with the selected events.</returns>
    public EventRecording Slice(long start, long end)
    {
        int lo = LowerBound(start), hi = Math.Max(lo, LowerBound(end));
        return new EventRecording(Width, Height, Timestamps[lo..hi], X[lo..hi], Y[lo..hi], Polarity[lo..hi]);
    }

    private int LowerBound(long t)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Timestamps[mid] < t) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Count} events on a {Width}x{Height} sensor";
}
