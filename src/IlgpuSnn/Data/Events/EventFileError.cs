namespace IlgpuSnn.Data.Events;

/// <summary>The one format of a malformed-file message: the file, the byte offset where the problem lies, and what is wrong.</summary>
internal static class EventFileError
{
    public static InvalidDataException At(string path, long offset, string problem) =>
        new($"{path}: at byte {offset}: {problem}");
}
