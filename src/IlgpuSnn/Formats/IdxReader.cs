using System.Buffers.Binary;
using System.IO.Compression;

namespace IlgpuSnn.Formats;

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed. Compression is detected from the gzip magic bytes
/// (0x1f 0x8b), not from the file name. The file is streamed and bounded by its header: the header is read and validated
/// first, a raw file's length is checked against it before any data is read, and a gzip stream is decompressed only up
/// to the declared size plus one byte (so a small file that inflates to gigabytes is rejected after reading what the
/// header declares). Any mismatch raises an <see cref="InvalidDataException"/> that names the file and the offset.
/// </summary>
public static class IdxReader
{
    private const int InitialBuffer = 16 << 20;

    /// <summary>
    /// Reads and validates one IDX file. Header: bytes 0-1 zero, byte 2 the element type, byte 3 the number of
    /// dimensions, then one big-endian int32 per dimension, then exactly product(dims) elements (at most
    /// <see cref="Array.MaxLength"/> bytes; larger files are refused).
    /// </summary>
    /// <param name="path">Path of the file; gzip-compressed content (detected by its magic bytes) is decompressed.</param>
    /// <returns>The element type, dimensions and data of the file.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Bad magic, unknown type, bad dimensions, truncated data, trailing bytes, a corrupt gzip stream, or a path that is a folder.</exception>
    public static IdxFile Read(string path) => Open(path, (input, rawLength) => Parse(path, input, rawLength, null));

    /// <summary>
    /// Reads the first <paramref name="maxItems"/> items along the first dimension (all of them when the file holds fewer):
    /// the header is validated as by <see cref="Read(string)"/> (for an uncompressed file also its length), but only those
    /// items' bytes are read and decompressed, so the rest of the file is neither read nor checked.
    /// </summary>
    /// <param name="path">Path of the file; gzip-compressed content (detected by its magic bytes) is decompressed as far as needed.</param>
    /// <param name="maxItems">The most items to read; positive.</param>
    /// <returns>The file with its first dimension cut to the items read.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxItems"/> is not positive.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is malformed, or the items read are truncated or corrupt.</exception>
    public static IdxFile Read(string path, int maxItems)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        return Open(path, (input, rawLength) => Parse(path, input, rawLength, maxItems));
    }

    /// <summary>
    /// Reads and validates only the header of an IDX file: its element type and dimensions, checked as
    /// <see cref="Read(string)"/> checks them (for an uncompressed file also its length against the header), without reading the
    /// data. Tells the shape of a dataset before loading it.
    /// </summary>
    /// <param name="path">Path of the file; gzip-compressed content (detected by its magic bytes) is decompressed as far as the header.</param>
    /// <returns>The element type code and the dimensions the header declares.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Bad magic, unknown type, bad dimensions, a raw file whose length disagrees with them, a corrupt gzip stream, or a path that is a folder.</exception>
    public static (byte ElementType, int[] Dimensions) ReadHeader(string path) => Open(path, (input, rawLength) =>
    {
        var header = Header(path, input, rawLength);
        return (header.Type, header.Dimensions);
    });

    private static T Open<T>(string path, Func<Stream, long?, T> read)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"IDX file '{path}' is a folder, not a file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        if (!gzip) return read(file, file.Length);
        using var inflated = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        return read(inflated, null);
    }

    private static IdxFile Parse(string path, Stream input, long? rawLength, int? maxItems)
    {
        var (type, dims, headerLength, expected, what) = Header(path, input, rawLength);
        if (maxItems < dims[0])
        {
            long itemBytes = expected / dims[0];
            dims[0] = maxItems.Value;
            var prefix = ReadData(path, input, (int)(itemBytes * dims[0]), headerLength, what, lengthChecked: rawLength is not null);
            return new IdxFile(dims, type, prefix);
        }
        var data = ReadData(path, input, (int)expected, headerLength, what, lengthChecked: rawLength is not null);
        var probe = new byte[1];
        if (ReadUpTo(path, input, probe, headerLength + expected) > 0)
            throw new InvalidDataException(
                $"IDX file '{path}' has trailing bytes: {what} need {expected} data bytes, but there is more after offset {headerLength + expected} (decompressed).");
        return new IdxFile(dims, type, data);
    }

    /// <summary>Reads and validates the header; <c>Expected</c> is the number of data bytes it declares, <c>What</c> its description for messages.</summary>
    private static (byte Type, int[] Dimensions, long HeaderLength, long Expected, string What) Header(string path, Stream input, long? rawLength)
    {
        var head = new byte[4];
        int got = ReadUpTo(path, input, head, 0);
        if (got < 4)
            throw new InvalidDataException($"IDX file '{path}': {got} bytes is too short for the 4-byte header.");
        if (head[0] != 0 || head[1] != 0)
            throw new InvalidDataException(
                $"IDX file '{path}': bad magic 0x{head[0]:X2}{head[1]:X2}{head[2]:X2}{head[3]:X2} at offset 0; the first two bytes must be zero (not an IDX file?).");
        byte type = head[2];
        int elementSize = IdxFile.ElementSize(type);
        if (elementSize == 0)
            throw new InvalidDataException(
                $"IDX file '{path}': unknown element type code 0x{type:X2} at offset 2 (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E).");
        int rank = head[3];
        if (rank == 0)
            throw new InvalidDataException($"IDX file '{path}': the header declares 0 dimensions (offset 3).");
        long headerLength = 4 + 4L * rank;
        var sizes = new byte[4 * rank];
        got = ReadUpTo(path, input, sizes, 4);
        if (got < sizes.Length)
            throw new InvalidDataException(
                $"IDX file '{path}' is truncated: the header declares {rank} dimensions ({headerLength} header bytes) but the file has {4 + got} bytes.");
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(sizes.AsSpan(4 * d, 4));
            if (dims[d] <= 0)
                throw new InvalidDataException($"IDX file '{path}': dimension {d} (offset {4 + 4 * d}) has size {dims[d]}; sizes must be positive.");
            count *= dims[d];
            if (count > Array.MaxLength)
                throw new InvalidDataException($"IDX file '{path}': dimensions [{string.Join(", ", dims.Take(d + 1))}] are too large.");
        }
        long expected = count * elementSize;
        string what = $"dimensions [{string.Join(", ", dims)}] of {IdxFile.TypeName(type)}";
        if (expected > Array.MaxLength)
            throw new InvalidDataException(
                $"IDX file '{path}': {what} need {expected} data bytes; files with more than {Array.MaxLength} data bytes (2 GB) are not supported.");
        if (rawLength is { } length)
        {
            long actual = length - headerLength;
            if (actual < expected)
                throw new InvalidDataException($"IDX file '{path}' is truncated: {what} need {expected} data bytes, but only {actual} are present.");
            if (actual > expected)
                throw new InvalidDataException($"IDX file '{path}' has {actual - expected} trailing bytes: {what} need {expected} data bytes, but {actual} are present.");
        }
        return (type, dims, headerLength, expected, what);
    }

    /// <summary>Reads exactly <paramref name="expected"/> bytes, growing the buffer only as data actually arrives.</summary>
    private static byte[] ReadData(string path, Stream input, int expected, long offset, string what, bool lengthChecked)
    {
        var data = new byte[lengthChecked ? expected : Math.Min(expected, InitialBuffer)];
        int filled = 0;
        while (filled < expected)
        {
            if (filled == data.Length) Array.Resize(ref data, (int)Math.Min(expected, 2L * data.Length));
            int n = ReadUpTo(path, input, data.AsSpan(filled), offset + filled);
            if (n == 0)
                throw new InvalidDataException($"IDX file '{path}' is truncated: {what} need {expected} data bytes, but only {filled} are present.");
            filled += n;
        }
        return data;
    }

    /// <summary>Fills <paramref name="buffer"/> as far as the stream goes; a read failure (e.g. corrupt gzip) is reported with the file and offset.</summary>
    private static int ReadUpTo(string path, Stream input, Span<byte> buffer, long offset)
    {
        try
        {
            return input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"IDX file '{path}': reading failed near offset {offset} (gzip stream corrupt or truncated?): {e.Message}", e);
        }
    }
}
