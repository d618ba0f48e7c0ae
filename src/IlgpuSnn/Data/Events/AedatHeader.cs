using System.Text;

namespace IlgpuSnn.Data.Events;

/// <summary>The ASCII header of jAER/cAER AEDAT files: lines that start with '#', the first one naming the version.</summary>
internal static class AedatHeader
{
    /// <summary>The longest header accepted; real headers are a few kilobytes.</summary>
    public const int MaxHeaderBytes = 1 << 20;

    /// <summary>
    /// Checks that the file starts with <paramref name="versionLine"/> and returns the offset of the first byte after
    /// the header: after the line equal to <paramref name="endLine"/> when given, else after the last line that starts
    /// with '#'.
    /// </summary>
    public static int Skip(string path, ReadOnlySpan<byte> bytes, string versionLine, string? endLine)
    {
        int first = LineEnd(bytes, 0);
        var version = Encoding.ASCII.GetString(bytes[..Math.Min(first, 64)]).TrimEnd('\r', '\n');
        if (version != versionLine)
            throw EventFileError.At(path, 0, $"the first line is '{Printable(version)}', expected '{versionLine}' (not this AEDAT version?).");
        int offset = 0;
        while (offset < bytes.Length && bytes[offset] == (byte)'#')
        {
            int end = LineEnd(bytes, offset);
            if (end > MaxHeaderBytes)
                throw EventFileError.At(path, offset, $"the header is longer than {MaxHeaderBytes} bytes.");
            if (end == bytes.Length && (end == 0 || bytes[end - 1] != (byte)'\n'))
                throw EventFileError.At(path, offset, "the header ends without a line break (truncated).");
            var line = Encoding.ASCII.GetString(bytes[offset..end]).TrimEnd('\r', '\n');
            offset = end;
            if (endLine is not null && line == endLine) return offset;
        }
        if (endLine is not null)
            throw EventFileError.At(path, offset, $"the header has no '{endLine}' line.");
        return offset;
    }

    /// <summary>The offset just past the '\n' that ends the line starting at <paramref name="start"/> (or the file's end).</summary>
    private static int LineEnd(ReadOnlySpan<byte> bytes, int start)
    {
        int nl = bytes[start..].IndexOf((byte)'\n');
        return nl < 0 ? bytes.Length : start + nl + 1;
    }

    private static string Printable(string s) => new(s.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
