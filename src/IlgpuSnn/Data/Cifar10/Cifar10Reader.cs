using IlgpuSnn.Data.Events;

namespace IlgpuSnn.Data.Cifar10;

/// <summary>
/// Reads the CIFAR-10 binary version (cifar-10-binary.tar.gz unpacked: cifar-10-batches-bin/data_batch_1..5.bin and
/// test_batch.bin). Each record is 3073 bytes: one label byte (0–9), then 1024 red, 1024 green and 1024 blue bytes,
/// each plane 32 × 32 row-major. Pixels are scaled to [0, 1].
/// </summary>
public static class Cifar10Reader
{
    /// <summary>Bytes per record.</summary>
    public const int RecordBytes = 1 + 3 * 32 * 32;

    /// <summary>The training batch files, in order.</summary>
    public static IReadOnlyList<string> TrainFiles { get; } = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>The test batch file.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>Reads one batch file.</summary>
    /// <param name="path">Path of one CIFAR-10 binary batch file (records of 1 label byte + 3072 pixel bytes).</param>
    /// <returns>The images as [N, 3, 32, 32] in [0, 1] with their labels 0–9.</returns>
    /// <exception cref="InvalidDataException">The length is not a whole number of records, or a label is above 9; the message names the file and byte offset.</exception>
    public static ImageDataset ReadBatch(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(path, File.ReadAllBytes(path));
    }

    /// <summary>Parses the bytes of one or more concatenated batches (<paramref name="name"/> is used in messages).</summary>
    /// <param name="name">Name of the source, used in error messages and as the dataset name.</param>
    /// <param name="bytes">The file contents: a whole number of 3073-byte records.</param>
    /// <returns>The images as [N, 3, 32, 32] in [0, 1] with their labels 0–9.</returns>
    public static ImageDataset Parse(string name, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || bytes.Length % RecordBytes != 0)
            throw EventFileError.At(name, bytes.Length - bytes.Length % RecordBytes,
                $"{bytes.Length} bytes is not a whole, non-zero number of {RecordBytes}-byte CIFAR-10 records (truncated?).");
        int n = bytes.Length / RecordBytes;
        var labels = new int[n];
        var pixels = new float[(long)n * (RecordBytes - 1)];
        for (int i = 0; i < n; i++)
        {
            int o = i * RecordBytes;
            labels[i] = bytes[o];
            if (labels[i] > 9)
                throw EventFileError.At(name, o, $"label {labels[i]} of record {i} is outside 0–9.");
            for (int k = 1; k < RecordBytes; k++) pixels[(long)i * (RecordBytes - 1) + k - 1] = bytes[o + k] / 255f;
        }
        return new ImageDataset(pixels, labels, 3, 32, 32, 10, Path.GetFileName(name));
    }

    /// <summary>
    /// Loads the train (five batches) and test splits from <paramref name="folder"/>, or from its subfolder
    /// cifar-10-batches-bin.
    /// </summary>
    /// <param name="folder">The folder holding data_batch_1.bin … data_batch_5.bin and test_batch.bin, or one holding cifar-10-batches-bin/.</param>
    /// <returns>The training split (50 000 images when complete) and the test split.</returns>
    /// <exception cref="FileNotFoundException">A batch file is missing; the message says which and what is expected.</exception>
    public static (ImageDataset Train, ImageDataset Test) Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        folder = Resolve(folder);
        foreach (var f in TrainFiles.Append(TestFile))
            if (!File.Exists(Path.Combine(folder, f)))
                throw new FileNotFoundException(
                    $"CIFAR-10 in '{folder}': '{f}' is missing; the folder needs {string.Join(", ", TrainFiles)} and {TestFile} (the binary version, cifar-10-binary.tar.gz, unpacked).",
                    Path.Combine(folder, f));
        var parts = TrainFiles.Select(f => ReadBatch(Path.Combine(folder, f))).ToList();
        var train = new ImageDataset(parts.SelectMany(p => p.Images).ToArray(), parts.SelectMany(p => p.Labels).ToArray(), 3, 32, 32, 10, "cifar10-train");
        return (train, ReadBatch(Path.Combine(folder, TestFile)));
    }

    /// <summary>
    /// The training split's shape from the batch files' lengths alone (no pixel read), or null when a file is missing
    /// or is not a whole number of records (<see cref="Load"/> then says what is wrong).
    /// </summary>
    /// <param name="folder">As for <see cref="Load"/>.</param>
    /// <returns>The training split's shape, or null.</returns>
    public static ImageSplitShape? TryDescribe(string folder)
    {
        if (string.IsNullOrEmpty(folder)) return null;
        folder = Resolve(folder);
        long records = 0;
        foreach (var f in TrainFiles)
        {
            var file = new FileInfo(Path.Combine(folder, f));
            if (!file.Exists || file.Length == 0 || file.Length % RecordBytes != 0) return null;
            records += file.Length / RecordBytes;
        }
        return File.Exists(Path.Combine(folder, TestFile)) && records <= int.MaxValue ? new ImageSplitShape((int)records, 3, 32, 32, 10) : null;
    }

    /// <summary><paramref name="folder"/>, or its cifar-10-batches-bin subfolder when the batches are there.</summary>
    private static string Resolve(string folder)
    {
        var nested = Path.Combine(folder, "cifar-10-batches-bin");
        return !File.Exists(Path.Combine(folder, TestFile)) && Directory.Exists(nested) ? nested : folder;
    }
}
