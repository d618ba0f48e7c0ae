using System.Buffers.Binary;
using System.Text;

namespace IlgpuSnn.Tests.Data.Events;

/// <summary>Builds event files byte by byte, straight from the published layouts (not through the library's writers).</summary>
internal static class EventBytes
{
    /// <summary>One N-MNIST event: x, y, then polarity in bit 7 of the third byte and a 23-bit big-endian timestamp.</summary>
    public static byte[] NMnist(int x, int y, int p, int ts) =>
        [(byte)x, (byte)y, (byte)((p << 7) | ((ts >> 16) & 0x7F)), (byte)(ts >> 8), (byte)ts];

    public static byte[] Aedat2Header(params string[] comments) =>
        Encoding.ASCII.GetBytes("#!AER-DAT2.0\r\n" + string.Concat(comments.Select(c => "# " + c + "\r\n")));

    /// <summary>One AEDAT 2.0 DVS128 event: big-endian address (y &lt;&lt; 8 | x &lt;&lt; 1 | p), big-endian timestamp.</summary>
    public static byte[] Aedat2(uint address, uint ts)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(b, address);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), ts);
        return b;
    }

    public static byte[] Aedat3Header() =>
        Encoding.ASCII.GetBytes("#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n");

    /// <summary>A cAER packet header, little-endian.</summary>
    public static byte[] PacketHeader(short type, int size, int overflow, int capacity, int number, int valid)
    {
        var b = new byte[28];
        BinaryPrimitives.WriteInt16LittleEndian(b, type);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(2), 1);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), size);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8), 4);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), overflow);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(16), capacity);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(20), number);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(24), valid);
        return b;
    }

    /// <summary>One cAER polarity event: data word (x &lt;&lt; 17 | y &lt;&lt; 2 | p &lt;&lt; 1 | valid), timestamp, little-endian.</summary>
    public static byte[] Polarity(int x, int y, int p, int ts, bool valid = true)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(b, ((uint)x << 17) | ((uint)y << 2) | ((uint)p << 1) | (valid ? 1u : 0u));
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), ts);
        return b;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
