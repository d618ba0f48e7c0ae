using System.Buffers.Binary;
using System.IO.Compression;

namespace IlgpuSnn.Formats;

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed. Compression is detected from the gzip magic bytes
/// (0x1f 0x8b), not from the file name. The header and the data length are validated; any mismatch raises an
/// <see cref="InvalidDataException"/> that names the file.
/// </summary>
public static class IdxReader
{
    /// <summary>
    /// Reads and validates one IDX file. Header: bytes 0-1 zero, byte 2 the element type, byte 3 the number of
    /// dimensions, then one big-endian int32 per dimension, then exactly product(dims) elements.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Bad magic, unknown type, bad dimensions, truncated data or trailing bytes.</exception>
    public static IdxFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        var bytes = Decompress(path, File.ReadAllBytes(path));
        return Parse(path, bytes);
    }

    private static byte[] Decompress(string path, byte[] raw)
    {
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        try
        {
            using var input = new MemoryStream(raw, writable: false);
            using var gz = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream(raw.Length * 4);
            gz.CopyTo(output);
            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"IDX file '{path}': the gzip stream is corrupt or truncated ({e.Message}).", e);
        }
    }

    private static IdxFile Parse(string path, byte[] bytes)
    {
        if (bytes.Length < 4)
            throw new InvalidDataException($"IDX file '{path}': {bytes.Length} bytes is too short for the 4-byte header.");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException(
                $"IDX file '{path}': bad magic 0x{bytes[0]:X2}{bytes[1]:X2}{bytes[2]:X2}{bytes[3]:X2}; the first two bytes must be zero (not an IDX file?).");
        byte type = bytes[2];
        int elementSize = IdxFile.ElementSize(type);
        if (elementSize == 0)
            throw new InvalidDataException(
                $"IDX file '{path}': unknown element type code 0x{type:X2} (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E).");
        int rank = bytes[3];
        if (rank == 0)
            throw new InvalidDataException($"IDX file '{path}': the header declares 0 dimensions.");
        long headerLength = 4 + 4L * rank;
        if (bytes.Length < headerLength)
            throw new InvalidDataException(
                $"IDX file '{path}' is truncated: the header declares {rank} dimensions ({headerLength} header bytes) but the file has {bytes.Length} bytes.");
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d, 4));
            if (dims[d] <= 0)
                throw new InvalidDataException($"IDX file '{path}': dimension {d} has size {dims[d]}; sizes must be positive.");
            count *= dims[d];
            if (count > Array.MaxLength)
                throw new InvalidDataException($"IDX file '{path}': dimensions [{string.Join(", ", dims.Take(d + 1))}] are too large.");
        }
        long expected = count * elementSize;
        long actual = bytes.Length - headerLength;
        if (actual < expected)
            throw new InvalidDataException(
                $"IDX file '{path}' is truncated: dimensions [{string.Join(", ", dims)}] of {IdxFile.TypeName(type)} need {expected} data bytes, but only {actual} are present.");
        if (actual > expected)
            throw new InvalidDataException(
                $"IDX file '{path}' has {actual - expected} trailing bytes: dimensions [{string.Join(", ", dims)}] of {IdxFile.TypeName(type)} need {expected} data bytes, but {actual} are present.");
        var data = bytes.AsSpan((int)headerLength).ToArray();
        return new IdxFile(dims, type, data);
    }
}
