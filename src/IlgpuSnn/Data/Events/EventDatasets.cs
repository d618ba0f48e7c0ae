using System.Globalization;
using System.Text;

namespace IlgpuSnn.Data.Events;

/// <summary>
/// Opens the official event-camera datasets from the folder where the user unpacked them; nothing is downloaded.
/// Samples are listed in round-robin class order (first sample of every class, then the second, …), so that
/// <see cref="EventDataset.Take"/> keeps the classes balanced.
/// </summary>
public static class EventDatasets
{
    /// <summary>
    /// N-MNIST (and any dataset laid out the same way, e.g. a converted one): <c>Train/</c> and <c>Test/</c>, each with
    /// one folder per class (0–9) of ATIS .bin files, sensor 34 × 34.
    /// </summary>
    /// <param name="folder">The dataset root holding Train/ and Test/.</param>
    /// <param name="width">Sensor width in pixels (34 for N-MNIST).</param>
    /// <param name="height">Sensor height in pixels (34 for N-MNIST).</param>
    /// <returns>The training and test splits, files listed but not yet read.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder layout is wrong; the message says what is expected.</exception>
    public static (EventDataset Train, EventDataset Test) NMnist(string folder, int width = 34, int height = 34)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        const string layout = "Train/ and Test/ folders, each with class folders 0..9 of .bin files";
        var train = ClassFolders(Path.Combine(folder, "Train"), "*.bin", layout);
        var test = ClassFolders(Path.Combine(folder, "Test"), "*.bin", layout);
        int classes = Math.Max(train.Classes, test.Classes);
        return (new EventDataset("nmnist-train", width, height, classes, train.Samples, p => NMnistFile.Read(p, width, height)),
                new EventDataset("nmnist-test", width, height, classes, test.Samples, p => NMnistFile.Read(p, width, height)));
    }

    /// <summary>
    /// CIFAR10-DVS: one folder per class (airplane, automobile, …, truck, in ordinal name order = labels 0–9) of AEDAT 2.0
    /// files. It has no official split: within each class the files, sorted by name, are shuffled by a Fisher–Yates
    /// shuffle driven by <c>new Random(seed * 1000003 + classIndex)</c>, and the first 90 % (rounded down) are the
    /// training set, the rest the test set.
    /// </summary>
    /// <param name="folder">The dataset root holding one folder per class.</param>
    /// <param name="seed">Seed of the per-class shuffle that makes the 90/10 split.</param>
    /// <returns>The training and test splits on the 128 × 128 sensor, files listed but not yet read.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder layout is wrong.</exception>
    public static (EventDataset Train, EventDataset Test) Cifar10Dvs(string folder, int seed = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var all = ClassFolders(folder, "*.aedat", "one folder per class (airplane, automobile, ...) of .aedat files");
        var train = new List<List<EventSample>>();
        var test = new List<List<EventSample>>();
        foreach (var group in all.Samples.GroupBy(s => s.Label).OrderBy(g => g.Key))
        {
            var files = group.OrderBy(s => s.Path, StringComparer.Ordinal).ToArray();
            var rng = new Random(unchecked(seed * 1_000_003 + group.Key)); // seeded System.Random is stable across .NET versions
            for (int i = files.Length - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (files[i], files[j]) = (files[j], files[i]);
            }
            int cut = files.Length * 9 / 10;
            train.Add(files[..cut].ToList());
            test.Add(files[cut..].ToList());
        }
        return (new EventDataset("cifar10-dvs-train", 128, 128, all.Classes, RoundRobin(train), Aedat2File.Read),
                new EventDataset("cifar10-dvs-test", 128, 128, all.Classes, RoundRobin(test), Aedat2File.Read));
    }

    /// <summary>
    /// DVS128 Gesture (DvsGesture.tar.gz unpacked): <c>trials_to_train.txt</c> and <c>trials_to_test.txt</c> list the
    /// .aedat files; each <c>userXX_light.aedat</c> has <c>userXX_light_labels.csv</c> with lines
    /// <c>class,startTime_usec,endTime_usec</c> (classes 1–11, labels 0–10 here). One sample per CSV line.
    /// </summary>
    /// <param name="folder">The unpacked DvsGesture folder holding the trial lists.</param>
    /// <returns>The training and test splits (11 classes, 128 × 128), files listed but not yet read.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder or a listed file is missing.</exception>
    /// <exception cref="InvalidDataException">A labels file is malformed; the message names the file and byte offset.</exception>
    public static (EventDataset Train, EventDataset Test) DvsGesture(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!File.Exists(Path.Combine(folder, "trials_to_train.txt")) && Directory.Exists(Path.Combine(folder, "DvsGesture")))
            folder = Path.Combine(folder, "DvsGesture");
        return (new EventDataset("dvs-gesture-train", 128, 128, 11, GestureSamples(folder, "trials_to_train.txt"), p => Aedat3File.Read(p)),
                new EventDataset("dvs-gesture-test", 128, 128, 11, GestureSamples(folder, "trials_to_test.txt"), p => Aedat3File.Read(p)));
    }

    /// <summary>Parses a DVS128 Gesture labels file: an optional header line, then <c>class,start,end</c> per line.</summary>
    /// <param name="csvPath">Path of the labels file, used in messages.</param>
    /// <param name="aedatPath">Path of the recording the labels belong to, stored in every sample.</param>
    /// <param name="bytes">The contents of the labels file.</param>
    /// <returns>One sample per labelled segment: label 0–10 and its [start, end) time in µs.</returns>
    /// <exception cref="InvalidDataException">A malformed line, a class outside 1–11 or start ≥ end; names the file and byte offset.</exception>
    public static IReadOnlyList<EventSample> ParseGestureLabels(string csvPath, string aedatPath, ReadOnlySpan<byte> bytes)
    {
        var samples = new List<EventSample>();
        int offset = 0;
        while (offset < bytes.Length)
        {
            int nl = bytes[offset..].IndexOf((byte)'\n');
            int end = nl < 0 ? bytes.Length : offset + nl;
            var line = Encoding.ASCII.GetString(bytes[offset..end]).Trim();
            int lineStart = offset;
            offset = end + 1;
            if (line.Length == 0 || line.StartsWith("class", StringComparison.OrdinalIgnoreCase)) continue;
            var parts = line.Split(',');
            if (parts.Length != 3
                || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int cls)
                || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long start)
                || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out long stop))
                throw EventFileError.At(csvPath, lineStart, $"line '{Truncate(line)}' is not 'class,startTime_usec,endTime_usec'.");
            if (cls < 1 || cls > 11)
                throw EventFileError.At(csvPath, lineStart, $"class {cls} is outside 1–11.");
            if (start < 0 || start >= stop)
                throw EventFileError.At(csvPath, lineStart, $"the interval [{start}, {stop}) µs is empty or negative.");
            samples.Add(new EventSample(aedatPath, cls - 1, start, stop));
        }
        return samples;
    }

    private static List<EventSample> GestureSamples(string folder, string listName)
    {
        var list = Path.Combine(folder, listName);
        if (!File.Exists(list))
            throw new DirectoryNotFoundException(
                $"DVS128 Gesture in '{folder}': '{listName}' is missing; the folder needs trials_to_train.txt, trials_to_test.txt and the userXX_*.aedat files with their _labels.csv (DvsGesture.tar.gz unpacked).");
        var samples = new List<EventSample>();
        foreach (var raw in File.ReadAllLines(list))
        {
            var name = raw.Trim();
            if (name.Length == 0) continue;
            var aedat = Path.Combine(folder, name);
            var csv = Path.Combine(folder, Path.GetFileNameWithoutExtension(name) + "_labels.csv");
            if (!File.Exists(aedat) || !File.Exists(csv))
                throw new DirectoryNotFoundException($"DVS128 Gesture: '{listName}' lists '{name}', but '{aedat}' or '{csv}' is missing.");
            samples.AddRange(ParseGestureLabels(csv, aedat, File.ReadAllBytes(csv)));
        }
        return samples;
    }

    private sealed record Listing(int Classes, List<EventSample> Samples);

    private static Listing ClassFolders(string folder, string pattern, string layout)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"'{folder}' does not exist; expected {layout}.");
        var classes = Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new DirectoryNotFoundException($"'{folder}' has no class folders; expected {layout}.");
        var perClass = classes.Select((d, label) => Directory.GetFiles(d, pattern).OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new EventSample(f, label)).ToList()).ToList();
        if (perClass.All(c => c.Count == 0))
            throw new DirectoryNotFoundException($"'{folder}' has class folders but no {pattern} files; expected {layout}.");
        return new Listing(classes.Length, RoundRobin(perClass));
    }

    private static List<EventSample> RoundRobin(List<List<EventSample>> perClass)
    {
        var result = new List<EventSample>(perClass.Sum(c => c.Count));
        for (int i = 0; result.Count < result.Capacity; i++)
            foreach (var c in perClass)
                if (i < c.Count) result.Add(c[i]);
        return result;
    }

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
