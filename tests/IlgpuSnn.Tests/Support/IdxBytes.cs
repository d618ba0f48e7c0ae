using System.IO.Compression;
using IlgpuSnn.Formats;

namespace IlgpuSnn.Tests.Support;

/// <summary>Writes IDX files byte by byte, following the published layout (independent of the reader).</summary>
public static class IdxBytes
{
    public static byte[] Build(byte type, int[] dims, byte[] data, int? rankOverride = null)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)(rankOverride ?? dims.Length) };
        foreach (var d in dims)
        {
            bytes.Add((byte)(d >> 24));
            bytes.Add((byte)(d >> 16));
            bytes.Add((byte)(d >> 8));
            bytes.Add((byte)d);
        }
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    public static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
