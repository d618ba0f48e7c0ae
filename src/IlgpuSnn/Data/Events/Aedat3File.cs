using System.Buffers.Binary;

namespace IlgpuSnn.Data.Events;

/// <summary>
/// Reads cAER AEDAT 3.1 files (DVS128 Gesture). After ASCII header lines, the first <c>#!AER-DAT3.1</c> and the last
/// <c>#!END-HEADER</c>, come packets, little-endian: a 28-byte header {int16 eventType, int16 eventSource,
/// int32 eventSize, int32 eventTSOffset, int32 eventTSOverflow, int32 eventCapacity, int32 eventNumber,
/// int32 eventValid} and eventCapacity × eventSize bytes of events. Polarity events (type 1, 8 bytes): uint32 data with
/// bit 0 = valid, bit 1 = polarity, bits 2–16 = y, bits 17–31 = x, then int32 timestamp µs; the absolute time is
/// timestamp | (eventTSOverflow &lt;&lt; 31). Of each packet the first eventNumber events are read and those marked
/// valid kept; packets of other types are skipped.
/// </summary>
public static class Aedat3File
{
    /// <summary>The first header line.</summary>
    public const string VersionLine = "#!AER-DAT3.1";

    /// <summary>The last header line.</summary>
    public const string EndLine = "#!END-HEADER";

    /// <summary>Bytes of a packet header.</summary>
    public const int PacketHeaderBytes = 28;

    /// <summary>The event type of polarity events.</summary>
    public const short PolarityType = 1;

    /// <summary>Reads one file recorded by a <paramref name="width"/> × <paramref name="height"/> sensor (DVS128: 128 × 128).</summary>
    /// <param name="path">Path of an AEDAT 3.1 file.</param>
    /// <param name="width">Sensor width in pixels; every event's x must be below it.</param>
    /// <param name="height">Sensor height in pixels; every event's y must be below it.</param>
    /// <returns>The polarity events of the file, time-ordered.</returns>
    /// <exception cref="InvalidDataException">Wrong version line, truncated packet, inconsistent packet header, pixel off the sensor or time going back; the message names the file and byte offset.</exception>
    public static EventRecording Read(string path, int width = 128, int height = 128)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(path, File.ReadAllBytes(path), width, height);
    }

    /// <summary>Parses the bytes of one file (<paramref name="path"/> is used in messages only).</summary>
    /// <param name="path">Name of the source, used in messages only.</param>
    /// <param name="bytes">The file contents, header lines included.</param>
    /// <param name="width">Sensor width in pixels; every event's x must be below it.</param>
    /// <param name="height">Sensor height in pixels; every event's y must be below it.</param>
    /// <returns>The polarity events of the file, time-ordered.</returns>
    public static EventRecording Parse(string path, ReadOnlySpan<byte> bytes, int width = 128, int height = 128)
    {
        int offset = AedatHeader.Skip(path, bytes, VersionLine, EndLine);
        var t = new List<long>();
        var xs = new List<int>();
        var ys = new List<int>();
        var ps = new List<byte>();
        long previous = 0;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < PacketHeaderBytes)
                throw EventFileError.At(path, offset, $"truncated packet header: {bytes.Length - offset} of {PacketHeaderBytes} bytes.");
            var h = bytes.Slice(offset, PacketHeaderBytes);
            short type = BinaryPrimitives.ReadInt16LittleEndian(h);
            int size = BinaryPrimitives.ReadInt32LittleEndian(h[4..]);
            int overflow = BinaryPrimitives.ReadInt32LittleEndian(h[12..]);
            int capacity = BinaryPrimitives.ReadInt32LittleEndian(h[16..]);
            int number = BinaryPrimitives.ReadInt32LittleEndian(h[20..]);
            int valid = BinaryPrimitives.ReadInt32LittleEndian(h[24..]);
            if (size <= 0 || capacity < 0 || number < 0 || number > capacity || valid < 0 || valid > number || overflow < 0)
                throw EventFileError.At(path, offset,
                    $"packet header is inconsistent (eventSize {size}, eventTSOverflow {overflow}, eventCapacity {capacity}, eventNumber {number}, eventValid {valid}).");
            long payload = (long)capacity * size;
            int data = offset + PacketHeaderBytes;
            if (payload > bytes.Length - data)
                throw EventFileError.At(path, offset, $"truncated packet: it declares {capacity} events of {size} bytes, {bytes.Length - data} bytes remain.");
            if (type == PolarityType)
            {
                if (size != 8)
                    throw EventFileError.At(path, offset + 4, $"polarity events must be 8 bytes, the packet declares {size}.");
                for (int i = 0; i < number; i++)
                {
                    int o = data + 8 * i;
                    uint word = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(o, 4));
                    int stamp = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(o + 4, 4));
                    if ((word & 1) == 0) continue;
                    if (stamp < 0)
                        throw EventFileError.At(path, o + 4, $"timestamp {stamp} is negative.");
                    int x = (int)(word >> 17), y = (int)((word >> 2) & 0x7FFF);
                    if (x >= width || y >= height)
                        throw EventFileError.At(path, o, $"event at ({x}, {y}) lies outside the {width}x{height} sensor.");
                    long ts = (long)(uint)stamp | ((long)overflow << 31);
                    if (ts < previous)
                        throw EventFileError.At(path, o + 4, $"timestamp {ts} µs is earlier than the previous event's {previous} µs.");
                    previous = ts;
                    t.Add(ts);
                    xs.Add(x);
                    ys.Add(y);
                    ps.Add((byte)((word >> 1) & 1));
                }
            }
            offset = checked((int)(data + payload));
        }
        return new EventRecording(width, height, [.. t], [.. xs], [.. ys], [.. ps]);
    }
}
