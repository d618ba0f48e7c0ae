namespace IlgpuSnn.Formats;

/// <summary>
/// Writes files atomically: the content goes to a temporary file in the same folder, is flushed to disk, and then
/// replaces the target with a rename, so a crash never leaves a half-written file under the target name. If writing
/// fails the temporary file is removed and an existing target is left untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    /// <param name="path">The file to replace or create.</param>
    /// <param name="bytes">The new contents.</param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = Begin(path, out var full);
        try
        {
            using (var fs = Open(tmp, 0))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8, no byte-order mark).</summary>
    /// <param name="path">The file to replace or create.</param>
    /// <param name="text">The new contents.</param>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, new System.Text.UTF8Encoding(false).GetBytes(text));
    }

    /// <summary>
    /// Atomically replaces <paramref name="path"/> with what <paramref name="writer"/> writes to the stream it is given.
    /// If <paramref name="writer"/> throws, the exception propagates and the old file (if any) is left intact.
    /// </summary>
    /// <param name="path">The file to replace or create.</param>
    /// <param name="writer">Writes the new contents to the stream it is given (a temporary file).</param>
    public static void Write(string path, Action<Stream> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var tmp = Begin(path, out var full);
        try
        {
            using (var fs = Open(tmp, 1 << 20))
            {
                writer(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Deletes the temporary files that writes of <paramref name="path"/> leave behind when the process is killed
    /// mid-write (".NAME.*.tmp" beside it). Call it when no other process writes the same file.
    /// </summary>
    /// <param name="path">The file whose stale temporary files are removed.</param>
    /// <returns>How many were removed.</returns>
    public static int RemoveStale(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder)) return 0;
        int removed = 0;
        foreach (var stale in Directory.EnumerateFiles(folder, "." + Path.GetFileName(full) + ".*.tmp"))
        {
            TryDelete(stale);
            if (!File.Exists(stale)) removed++;
        }
        return removed;
    }

    private static string Begin(string path, out string full)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        return Path.Combine(folder ?? "", "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
    }

    private static FileStream Open(string tmp, int bufferSize) =>
        new(tmp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = bufferSize });

    private static void TryDelete(string tmp)
    {
        try { File.Delete(tmp); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
