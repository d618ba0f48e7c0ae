using System.Buffers.Binary;

namespace IlgpuSnn.Data.Events;

/// <summary>
/// Reads jAER AEDAT 2.0 files from a DVS128 (CIFAR10-DVS): ASCII header lines starting with '#', the first
/// <c>#!AER-DAT2.0</c>, then 8-byte big-endian events {uint32 address, uint32 timestamp µs}. Address bit 0 = polarity
/// (1 = ON), bits 1–7 = x, bits 8–14 = y, as the DVS128 writes them (no flip; SpikingJelly reports
/// x' = 127 − y, y' = 127 − x, p' = 1 − p for the same events). Bit 15 marks jAER special (non-pixel) events, which
/// are skipped; any higher bit is an error.
/// </summary>
public static class Aedat2File
{
    /// <summary>The first header line.</summary>
    public const string VersionLine = "#!AER-DAT2.0";

    /// <summary>DVS128 sensor side.</summary>
    public const int SensorSize = 128;

    /// <summary>Reads one file.</summary>
    /// <param name="path">Path of an AEDAT 2.0 file.</param>
    /// <returns>The events, time-ordered, on the 128 × 128 DVS128 sensor.</returns>
    /// <exception cref="InvalidDataException">Wrong version line, truncated event, bad address or time going back; the message names the file and byte offset.</exception>
    public static EventRecording Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(path, File.ReadAllBytes(path));
    }

    /// <summary>Parses the bytes of one file (<paramref name="path"/> is used in messages only).</summary>
    /// <param name="path">Name of the source, used in messages only.</param>
    /// <param name="bytes">The file contents, header lines included.</param>
    /// <returns>The events, time-ordered, on the 128 × 128 DVS128 sensor.</returns>
    public static EventRecording Parse(string path, ReadOnlySpan<byte> bytes)
    {
        int start = AedatHeader.Skip(path, bytes, VersionLine, endLine: null);
        int body = bytes.Length - start;
        if (body % 8 != 0)
            throw EventFileError.At(path, bytes.Length - body % 8, $"truncated: {body} bytes after the header is not a whole number of 8-byte events.");
        int n = body / 8;
        var t = new List<long>(n);
        var xs = new List<int>(n);
        var ys = new List<int>(n);
        var ps = new List<byte>(n);
        long previous = 0;
        for (int i = 0; i < n; i++)
        {
            int o = start + 8 * i;
            uint address = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(o, 4));
            long ts = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(o + 4, 4));
            if (address > 0xFFFF)
                throw EventFileError.At(path, o, $"address 0x{address:X8} has bits above 15 set; it is not a DVS128 event.");
            if ((address & 0x8000) != 0) continue;
            if (ts < previous)
                throw EventFileError.At(path, o + 4, $"timestamp {ts} µs is earlier than the previous event's {previous} µs.");
            previous = ts;
            t.Add(ts);
            xs.Add((int)((address >> 1) & 0x7F));
            ys.Add((int)((address >> 8) & 0x7F));
            ps.Add((byte)(address & 1));
        }
        return new EventRecording(SensorSize, SensorSize, [.. t], [.. xs], [.. ys], [.. ps]);
    }
}
