namespace IlgpuSnn.Data.Events;

/// <summary>
/// Reads and writes the ATIS .bin event files of N-MNIST and N-Caltech101 (Orchard et al. 2015). Each event is
/// 5 bytes, big-endian: byte 0 = x, byte 1 = y, byte 2 bit 7 = polarity (1 = ON), and the 23 bits
/// ((b2 &amp; 0x7F) &lt;&lt; 16) | (b3 &lt;&lt; 8) | b4 = timestamp in µs. As in the dataset authors' reader, an event
/// with y = 240 is a timestamp-overflow marker: it is not an event, and it adds 2^13 µs to its own and every later
/// timestamp.
/// </summary>
public static class NMnistFile
{
    /// <summary>Bytes per event.</summary>
    public const int EventBytes = 5;

    /// <summary>The y value that marks a timestamp overflow.</summary>
    public const int OverflowMarker = 240;

    /// <summary>What an overflow marker adds to the timestamps from it on (µs).</summary>
    public const long OverflowIncrement = 1L << 13;

    /// <summary>The largest timestamp one event can hold (23 bits).</summary>
    public const long MaxTimestamp = (1L << 23) - 1;

    /// <summary>Reads one file; every event must lie on the <paramref name="width"/> × <paramref name="height"/> sensor (N-MNIST: 34 × 34).</summary>
    /// <param name="path">Path of an N-MNIST .bin file.</param>
    /// <param name="width">Sensor width in pixels (34 for N-MNIST).</param>
    /// <param name="height">Sensor height in pixels (34 for N-MNIST).</param>
    /// <returns>The events, time-ordered, with timestamps in µs.</returns>
    /// <exception cref="InvalidDataException">Length not a multiple of 5, a pixel off the sensor, or time going back; the message names the file and byte offset.</exception>
    public static EventRecording Read(string path, int width = 34, int height = 34)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(path, File.ReadAllBytes(path), width, height);
    }

    /// <summary>Parses the bytes of one file (<paramref name="path"/> is used in messages only).</summary>
    /// <param name="path">Name of the source, used in messages only.</param>
    /// <param name="bytes">The file contents: 5 bytes per event.</param>
    /// <param name="width">Sensor width in pixels (34 for N-MNIST).</param>
    /// <param name="height">Sensor height in pixels (34 for N-MNIST).</param>
    /// <returns>The events, time-ordered, with timestamps in µs.</returns>
    public static EventRecording Parse(string path, ReadOnlySpan<byte> bytes, int width = 34, int height = 34)
    {
        if (bytes.Length % EventBytes != 0)
            throw EventFileError.At(path, bytes.Length - bytes.Length % EventBytes,
                $"truncated: {bytes.Length} bytes is not a whole number of {EventBytes}-byte events.");
        int records = bytes.Length / EventBytes;
        var t = new List<long>(records);
        var xs = new List<int>(records);
        var ys = new List<int>(records);
        var ps = new List<byte>(records);
        long offsetUs = 0, previous = 0;
        for (int i = 0; i < records; i++)
        {
            int o = i * EventBytes;
            int x = bytes[o], y = bytes[o + 1];
            long ts = ((long)(bytes[o + 2] & 0x7F) << 16) | ((long)bytes[o + 3] << 8) | bytes[o + 4];
            if (y == OverflowMarker)
            {
                offsetUs += OverflowIncrement;
                continue;
            }
            if (x >= width || y >= height)
                throw EventFileError.At(path, o, $"event at ({x}, {y}) lies outside the {width}x{height} sensor.");
            ts += offsetUs;
            if (ts < previous)
                throw EventFileError.At(path, o, $"timestamp {ts} µs is earlier than the previous event's {previous} µs.");
            previous = ts;
            t.Add(ts);
            xs.Add(x);
            ys.Add(y);
            ps.Add((byte)(bytes[o + 2] >> 7));
        }
        return new EventRecording(width, height, [.. t], [.. xs], [.. ys], [.. ps]);
    }

    /// <summary>
    /// Writes <paramref name="events"/> as a .bin file, atomically. Timestamps above 23 bits are written with overflow
    /// markers, so <see cref="Read"/> returns the same events.
    /// </summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <param name="events">The recording to write.</param>
    /// <exception cref="ArgumentException">The sensor is larger than 240 × 240 (x and y are one byte; y = 240 is the marker).</exception>
    public static void Write(string path, EventRecording events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Width > 256 || events.Height > OverflowMarker)
            throw new ArgumentException($"NMnistFile.Write: a {events.Width}x{events.Height} sensor does not fit one-byte coordinates below {OverflowMarker}.");
        Formats.AtomicFile.Write(path, stream => stream.Write(Encode(events)));
    }

    /// <summary>The bytes of <paramref name="events"/> in .bin format (see <see cref="Write"/>).</summary>
    /// <param name="events">The recording to encode; its sensor must be at most 240 × 240.</param>
    /// <returns>The file contents: 5 bytes per event, plus overflow markers.</returns>
    /// <exception cref="ArgumentException">The sensor is larger than 240 × 240.</exception>
    public static byte[] Encode(EventRecording events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var output = new List<byte>(events.Count * EventBytes);
        long offsetUs = 0;
        for (int i = 0; i < events.Count; i++)
        {
            while (events.Timestamps[i] - offsetUs > MaxTimestamp)
            {
                offsetUs += OverflowIncrement;
                output.AddRange([0, OverflowMarker, 0, 0, 0]);
            }
            long ts = events.Timestamps[i] - offsetUs;
            output.Add((byte)events.X[i]);
            output.Add((byte)events.Y[i]);
            output.Add((byte)((events.Polarity[i] << 7) | (int)(ts >> 16)));
            output.Add((byte)(ts >> 8));
            output.Add((byte)ts);
        }
        return [.. output];
    }
}
